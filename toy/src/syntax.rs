//! The toy language's lexer and parser: source text -> functions of
//! statements, each statement and call carrying its line and column.
//!
//! ```text
//! program   := function*
//! function  := "fn" NAME "(" [NAME ("," NAME)*] ")" block
//! block     := "{" statement* "}"
//! statement := "let" NAME "=" expr ";"  |  NAME "=" expr ";"
//!            | "return" expr ";"  |  "if" expr block ["else" block]
//!            | "while" expr block  |  expr ";"
//! expr      := compare; compare := sum [("=="|"!="|"<"|"<="|">"|">=") sum]
//! sum       := product (("+"|"-") product)*
//! product   := unary (("*"|"/"|"%") unary)*
//! unary     := "-" unary | INT | NAME | NAME "(" [expr ("," expr)*] ")" | "(" expr ")"
//! ```
//! Every value is a 64-bit signed integer; `//` starts a comment. A
//! variable (a parameter or a `let`) is visible from its declaration to the
//! end of the block that declares it; a name is declared once per function.

use std::fmt;

/// A position in the source: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A compile error at a position of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.column, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Int(i64),
    Name(String),
    /// Keywords and punctuation.
    Sym(&'static str),
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Int(n) => write!(f, "`{n}`"),
            Token::Name(n) => write!(f, "`{n}`"),
            Token::Sym(s) => write!(f, "`{s}`"),
            Token::End => write!(f, "the end of the file"),
        }
    }
}

const KEYWORDS: [&str; 6] = ["fn", "let", "return", "if", "else", "while"];
/// Longest first, so `<=` is not read as `<` then `=`.
const PUNCTUATION: [&str; 18] = [
    "==", "!=", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "(", ")", "{", "}", ",", ";",
];

fn lex(source: &str) -> Result<Vec<(Token, Pos)>, SyntaxError> {
    let mut tokens = Vec::new();
    for (index, text) in source.lines().enumerate() {
        let line = u32::try_from(index + 1).map_err(|_| SyntaxError {
            pos: Pos { line: 0, column: 0 },
            message: "the source has more than 2^32 lines".into(),
        })?;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let pos = Pos {
                line,
                column: i as u32 + 1,
            };
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if text[i..].starts_with("//") {
                break;
            } else if c.is_ascii_digit() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let value = text[start..i].parse().map_err(|_| SyntaxError {
                    pos,
                    message: format!("integer `{}` does not fit in 64 bits", &text[start..i]),
                })?;
                tokens.push((Token::Int(value), pos));
            } else if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let token = match KEYWORDS.iter().find(|k| **k == word) {
                    Some(k) => Token::Sym(k),
                    None => Token::Name(word.to_string()),
                };
                tokens.push((token, pos));
            } else if let Some(p) = PUNCTUATION.iter().find(|p| text[i..].starts_with(**p)) {
                tokens.push((Token::Sym(p), pos));
                i += p.len();
            } else {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(SyntaxError {
                    pos,
                    message: format!("unexpected character `{ch}`"),
                });
            }
        }
    }
    let end = Pos {
        line: source.lines().count() as u32 + 1,
        column: 1,
    };
    tokens.push((Token::End, end));
    Ok(tokens)
}

/// A function: name, parameters, body, and where `fn` and the closing brace are.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub params: Vec<String>,
    pub body: Vec<Stmt>,
    pub pos: Pos,
    pub end: Pos,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    Let(String, Expr),
    Assign(String, Expr),
    Return(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Int(i64),
    Var(String, Pos),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>, Pos),
}

struct Parser {
    tokens: Vec<(Token, Pos)>,
    next: usize,
}

/// Parses a whole program.
pub fn parse(source: &str) -> Result<Vec<Function>, SyntaxError> {
    let mut parser = Parser {
        tokens: lex(source)?,
        next: 0,
    };
    let mut functions = Vec::new();
    while parser.peek() != &Token::End {
        functions.push(parser.function()?);
    }
    Ok(functions)
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.next].0
    }

    fn pos(&self) -> Pos {
        self.tokens[self.next].1
    }

    fn bump(&mut self) -> (Token, Pos) {
        let token = self.tokens[self.next].clone();
        if self.next + 1 < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    fn error<T>(&self, expected: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            pos: self.pos(),
            message: format!("expected {expected}, found {}", self.peek()),
        })
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Token::Sym(s) if *s == sym) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), SyntaxError> {
        if self.eat(sym) {
            Ok(())
        } else {
            self.error(&format!("`{sym}`"))
        }
    }

    fn name(&mut self, what: &str) -> Result<(String, Pos), SyntaxError> {
        match self.peek().clone() {
            Token::Name(name) => Ok((name, self.bump().1)),
            _ => self.error(what),
        }
    }

    fn function(&mut self) -> Result<Function, SyntaxError> {
        let pos = self.pos();
        self.expect("fn")?;
        let (name, _) = self.name("a function name")?;
        self.expect("(")?;
        let mut params = Vec::new();
        if !self.eat(")") {
            loop {
                let (param, param_pos) = self.name("a parameter name")?;
                if params.contains(&param) {
                    return Err(SyntaxError {
                        pos: param_pos,
                        message: format!("parameter `{param}` is declared twice"),
                    });
                }
                params.push(param);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let (body, end) = self.block()?;
        Ok(Function {
            name,
            params,
            body,
            pos,
            end,
        })
    }

    /// A block and the position of its closing brace.
    fn block(&mut self) -> Result<(Vec<Stmt>, Pos), SyntaxError> {
        self.expect("{")?;
        let mut body = Vec::new();
        loop {
            let pos = self.pos();
            if self.eat("}") {
                return Ok((body, pos));
            }
            if self.peek() == &Token::End {
                return self.error("`}`");
            }
            body.push(self.statement()?);
        }
    }

    fn statement(&mut self) -> Result<Stmt, SyntaxError> {
        let pos = self.pos();
        let kind = if self.eat("let") {
            let (name, _) = self.name("a variable name")?;
            self.expect("=")?;
            let value = self.expr()?;
            self.expect(";")?;
            StmtKind::Let(name, value)
        } else if self.eat("return") {
            let value = self.expr()?;
            self.expect(";")?;
            StmtKind::Return(value)
        } else if self.eat("if") {
            let cond = self.expr()?;
            let (then, _) = self.block()?;
            let otherwise = if self.eat("else") {
                self.block()?.0
            } else {
                Vec::new()
            };
            StmtKind::If(cond, then, otherwise)
        } else if self.eat("while") {
            let cond = self.expr()?;
            let (body, _) = self.block()?;
            StmtKind::While(cond, body)
        } else if matches!(self.peek(), Token::Name(_))
            && matches!(self.tokens[self.next + 1].0, Token::Sym("="))
        {
            let (name, _) = self.name("a variable name")?;
            self.expect("=")?;
            let value = self.expr()?;
            self.expect(";")?;
            StmtKind::Assign(name, value)
        } else {
            let value = self.expr()?;
            self.expect(";")?;
            StmtKind::Expr(value)
        };
        Ok(Stmt { kind, pos })
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Token::Sym("==") => BinOp::Eq,
            Token::Sym("!=") => BinOp::Ne,
            Token::Sym("<") => BinOp::Lt,
            Token::Sym("<=") => BinOp::Le,
            Token::Sym(">") => BinOp::Gt,
            Token::Sym(">=") => BinOp::Ge,
            _ => return Ok(left),
        };
        self.bump();
        let right = self.sum()?;
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Sym("+") => BinOp::Add,
                Token::Sym("-") => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.product()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Sym("*") => BinOp::Mul,
                Token::Sym("/") => BinOp::Div,
                Token::Sym("%") => BinOp::Rem,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let inner = self.expr()?;
            self.expect(")")?;
            return Ok(inner);
        }
        match self.peek().clone() {
            Token::Int(n) => {
                self.bump();
                Ok(Expr::Int(n))
            }
            Token::Name(name) => {
                let pos = self.bump().1;
                if !self.eat("(") {
                    return Ok(Expr::Var(name, pos));
                }
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(")") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Call(name, args, pos))
            }
            _ => self.error("an expression"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_functions_with_positions() {
        let program = parse("fn f(a, b) {\n  let x = a * b;\n  return x + 1;\n}\n").unwrap();
        assert_eq!(program.len(), 1);
        assert_eq!(program[0].params, ["a", "b"]);
        assert_eq!(program[0].body[1].pos, Pos { line: 3, column: 3 });
        assert_eq!(program[0].end, Pos { line: 4, column: 1 });
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse("fn f() {\n  let = 3;\n}").unwrap_err();
        assert_eq!(e.to_string(), "2:7: expected a variable name, found `=`");
        let e = parse("fn f() { return 1 $ 2; }").unwrap_err();
        assert_eq!(e.to_string(), "1:19: unexpected character `$`");
        let e = parse("fn f() { return 1;").unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:1: expected `}`, found the end of the file"
        );
    }
}
