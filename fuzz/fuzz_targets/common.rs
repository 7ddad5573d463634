//! What the targets share: one fuzz input split into several objects.

use lantern_core::session::LinkUnit;

/// At most this many objects per input: more only slows every run.
const MAX_OBJECTS: usize = 8;

/// Splits an input into objects at each `\x7fELF` magic, so that a seed is
/// simply `cat a.o b.o c.o`; bytes before the first magic are one more object.
pub fn split_objects(data: &[u8]) -> Vec<&[u8]> {
    let mut starts: Vec<usize> = data
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"\x7fELF")
        .map(|(i, _)| i)
        .collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.truncate(MAX_OBJECTS);
    let mut objects = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(data.len());
        objects.push(&data[start..end]);
    }
    objects
}

/// A unit of the objects, named `input0.o`, `input1.o`... in messages.
pub fn unit_of(objects: &[&[u8]]) -> LinkUnit {
    let mut unit = LinkUnit::default();
    for (i, object) in objects.iter().enumerate() {
        unit.add_bytes(&format!("input{i}.o"), object.to_vec());
    }
    unit
}
