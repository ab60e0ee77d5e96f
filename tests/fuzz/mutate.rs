//! Inputs for the parsers: arbitrary bytes, and valid samples bent out of shape (bytes
//! deleted, duplicated, flipped, cut; values swapped for the wrong type; deep nesting), so a
//! parser gets past its first token before it meets the damage.

use proptest::collection::vec;
use proptest::prelude::*;

/// Tokens that tend to matter to JSON, TOML and YAML parsers.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "[[",
    "]]",
    "\"",
    "'",
    ":",
    "=",
    ",",
    "\n",
    "\r\n",
    "\t",
    "#",
    "-",
    "---\n",
    "null",
    "true",
    "NaN",
    "inf",
    "-0",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "\\u0000",
    "\\ud800",
    "\u{feff}",
    "é",
    "\u{10ffff}",
    "&a",
    "*a",
    "!!binary",
    "? ",
    "| ",
    "> ",
    "{{",
    "}}",
    "{{.window}}",
    "{{ x }}",
    "\0",
    "\u{7f}",
];

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, usize),
    Nest(usize, u16),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), 1..16usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        2 => (any::<usize>(), 1..64usize).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Flip(a, b)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Edit::Insert(a, t)),
        1 => (any::<usize>(), 1..3000u16).prop_map(|(a, d)| Edit::Nest(a, d)),
    ]
}

fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let len = bytes.len();
    let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
    match *e {
        Edit::Delete(a, n) => {
            let a = at(a);
            bytes.drain(a..(a + n).min(len));
        }
        Edit::Duplicate(a, n) => {
            let a = at(a);
            let piece = bytes[a..(a + n).min(len)].to_vec();
            bytes.splice(a..a, piece);
        }
        Edit::Flip(a, b) if len > 0 => bytes[a % len] ^= b.max(1),
        Edit::Flip(..) => {}
        Edit::Truncate(a) => bytes.truncate(at(a)),
        Edit::Insert(a, t) => {
            let token = TOKENS[t % TOKENS.len()].as_bytes();
            bytes.splice(at(a)..at(a), token.iter().copied());
        }
        Edit::Nest(a, depth) => {
            let open = if a % 2 == 0 { b"[" } else { b"{" };
            let piece = open.repeat(usize::from(depth));
            bytes.splice(at(a)..at(a), piece);
        }
    }
}

/// One of `seeds` with up to eight byte-level edits.
pub fn edited(seeds: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let n = seeds.len();
    (0..n, vec(edit(), 0..8))
        .prop_map(move |(i, edits)| {
            let mut bytes = seeds[i].clone();
            edits.iter().for_each(|e| apply(&mut bytes, e));
            bytes
        })
        .boxed()
}

/// Anything at all: raw bytes, or printable text.
pub fn garbage() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        ".{0,256}".prop_map(String::into_bytes),
    ]
    .boxed()
}

fn any_of(seeds: Vec<Vec<u8>>, shaped: BoxedStrategy<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => edited(seeds.clone()),
        3 => shaped.clone(),
        2 => shaped.prop_flat_map(|b| edited(vec![b])),
        1 => garbage(),
    ]
    .boxed()
}

/// A body: bytes that show as (lossy) text when a case fails.
#[derive(Clone)]
pub struct Body(pub Vec<u8>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Mostly edited samples, some edited samples of a wrong type, some garbage.
pub fn bytes(seeds: Vec<Vec<u8>>, shaped: BoxedStrategy<Vec<u8>>) -> BoxedStrategy<Body> {
    any_of(seeds, shaped).prop_map(Body).boxed()
}

/// The same as text (lossy), for the parsers that take `&str`.
pub fn text(seeds: Vec<Vec<u8>>, shaped: BoxedStrategy<Vec<u8>>) -> BoxedStrategy<String> {
    any_of(seeds, shaped)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
        .boxed()
}
