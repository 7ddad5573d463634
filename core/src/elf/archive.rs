//! Static archives: the symbol index, and members extracted on demand.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use object::read::archive::ArchiveFile;

use crate::error::{Error, Result};
use crate::graph::InputFile;

/// A member extracted from an archive, named `archive(member)`.
#[derive(Debug, Clone)]
pub struct ArchiveMember {
    pub file: InputFile,
}

/// An archive's symbol index: which member defines which global symbol.
pub struct Archive {
    pub name: Arc<str>,
    data: Arc<dyn AsRef<[u8]> + Send + Sync>,
    /// Symbol name -> offset of the defining member's header.
    symbols: HashMap<Vec<u8>, u64>,
    extracted: HashSet<u64>,
}

impl Archive {
    pub fn parse(name: &str, data: Arc<dyn AsRef<[u8]> + Send + Sync>) -> Result<Archive> {
        let bytes: &[u8] = (*data).as_ref();
        let archive = ArchiveFile::parse(bytes).map_err(|e| Error::malformed(name, e))?;
        if archive.is_thin() {
            return Err(Error::Unsupported {
                file: name.into(),
                reason: "thin archives are not supported; use a regular archive".into(),
            });
        }
        let mut symbols = HashMap::new();
        match archive.symbols().map_err(|e| Error::malformed(name, e))? {
            Some(index) => {
                for symbol in index {
                    let symbol = symbol.map_err(|e| Error::malformed(name, e))?;
                    symbols
                        .entry(symbol.name().to_vec())
                        .or_insert(symbol.offset().0);
                }
            }
            None => {
                if archive.members().next().is_some() {
                    return Err(Error::Unsupported {
                        file: name.into(),
                        reason: "archive has no symbol index; run `ranlib` on it".into(),
                    });
                }
            }
        }
        Ok(Archive {
            name: name.into(),
            data,
            symbols,
            extracted: HashSet::new(),
        })
    }

    /// The member defining `symbol`, unless it was extracted already.
    pub fn extract_defining(&mut self, symbol: &str) -> Result<Option<ArchiveMember>> {
        let Some(&offset) = self.symbols.get(symbol.as_bytes()) else {
            return Ok(None);
        };
        if !self.extracted.insert(offset) {
            return Ok(None);
        }
        let bytes: &[u8] = (*self.data).as_ref();
        let name = &*self.name;
        let archive = ArchiveFile::parse(bytes).map_err(|e| Error::malformed(name, e))?;
        let member = archive
            .member(object::read::archive::ArchiveOffset(offset))
            .map_err(|e| Error::malformed(name, format!("member for `{symbol}`: {e}")))?;
        let content = member
            .data(bytes)
            .map_err(|e| Error::malformed(name, format!("member for `{symbol}`: {e}")))?;
        Ok(Some(ArchiveMember {
            file: InputFile {
                name: format!("{}({})", self.name, String::from_utf8_lossy(member.name())).into(),
                data: Arc::new(content.to_vec()),
            },
        }))
    }

    pub fn defines(&self, symbol: &str) -> bool {
        self.symbols.contains_key(symbol.as_bytes())
    }
}
