//! The size and nesting limits of the API server's CEL parser (cel-go: 100,000 code points,
//! 250 levels of recursion), checked on the text before the `cel` crate's parser sees it. That
//! parser recurses once per level (a chain of 20,000 field selections exhausts the stack and
//! aborts the process), so a hostile rule must be refused here, as the API server refuses it.
//!
//! Pure: reads a string.

/// cel-go's `ExpressionSizeCodePointLimit` default.
pub const MAX_CODE_POINTS: usize = 100_000;
/// cel-go's parser recursion limit.
pub const MAX_NESTING: usize = 250;

/// Why the API server's parser refuses `source` for its size or nesting, if it does.
pub fn exceeded(source: &str) -> Option<String> {
    let points = source.chars().count();
    if points > MAX_CODE_POINTS {
        return Some(format!(
            "expression code point size exceeds limit: size: {points}, limit {MAX_CODE_POINTS}"
        ));
    }
    let depth = nesting(source);
    (depth > MAX_NESTING).then(|| {
        format!("expression nests {depth} levels deep, over the parser's limit of {MAX_NESTING}")
    })
}

/// An upper estimate of how deeply the parser recurses on `source`: brackets, and within one
/// operand the chain of selections, calls, indexes and unary operators (`a.b.c(d)[e]`, `!!x`),
/// which the grammar nests one level each. String literals are skipped.
fn nesting(source: &str) -> usize {
    let b = source.as_bytes();
    let mut saved: Vec<usize> = Vec::new();
    let mut chain = 0usize;
    let mut max = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => {
                let raw = i > 0 && matches!(b[i - 1], b'r' | b'R');
                i = string_end(b, i, q, raw);
                continue;
            }
            b'(' | b'[' | b'{' => {
                saved.push(chain);
                chain += 1;
            }
            b')' | b']' | b'}' => chain = saved.pop().unwrap_or(0),
            b'.' | b'!' | b'-' => chain += 1,
            b'+' | b'*' | b'/' | b'%' | b'<' | b'>' | b'=' | b'&' | b'|' | b'?' | b':' | b',' => {
                chain = 0;
            }
            _ => {}
        }
        // cel-go counts each grammar rule's depth on its own: a bracket is one level of
        // expression, and one of the enclosing operand's chain, which `chain` carries on.
        max = max.max(chain.max(saved.len() + 1));
        i += 1;
    }
    max
}

/// Offset just past the string literal opening at `i` with quote `q` (triple-quoted too); the
/// text's end when it is not closed.
fn string_end(b: &[u8], i: usize, q: u8, raw: bool) -> usize {
    let triple = b.get(i..i + 3) == Some(&[q, q, q][..]);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < b.len() {
        match b[j] {
            b'\\' if !raw => j += 2,
            c if c == q => {
                if !triple {
                    return j + 1;
                }
                if b.get(j..j + 3) == Some(&[q, q, q][..]) {
                    return j + 3;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_rules_are_far_from_the_limits() {
        for rule in [
            "self.all(p1, self.exists_one(p2, p1.group == p2.group && p1.kind == p2.kind))",
            "!(self.type == 'RequestHeaderModifier') || has(self.requestHeaderModifier)",
            "self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self) <= 63",
            "'((((' + \"[[[[\" + r'\\' + '''a'b''' == self",
            "-1 < self.x && self.y.z[0].w(1, [2, {'a': 3}]) != -2.5",
        ] {
            assert_eq!(exceeded(rule), None, "{rule}");
            assert!(nesting(rule) < 20, "{rule}: {}", nesting(rule));
        }
    }

    #[test]
    fn deep_chains_brackets_and_huge_rules_are_refused() {
        let selects = format!("self{}", ".a".repeat(20_000));
        assert!(
            exceeded(&selects)
                .unwrap()
                .contains("over the parser's limit of 250")
        );
        let parens = format!("{}true{}", "(".repeat(300), ")".repeat(300));
        assert!(exceeded(&parens).is_some());
        // As deep as cel-go reads: 249 brackets are 250 levels of expression, 250 are one too many.
        let deepest = format!("{}true{}", "(".repeat(249), ")".repeat(249));
        assert_eq!(exceeded(&deepest), None);
        let over = format!("{}true{}", "(".repeat(250), ")".repeat(250));
        assert!(exceeded(&over).is_some());
        let chain = format!("{}self.a.b == 1{}", "(".repeat(200), ")".repeat(200));
        assert_eq!(nesting(&chain), 202);
        let nots = format!("{}true", "!".repeat(300));
        assert!(exceeded(&nots).is_some());
        let negs = format!("{}1", "-".repeat(300));
        assert!(exceeded(&negs).is_some());
        let calls = format!("self{}", ".f()".repeat(300));
        assert!(exceeded(&calls).is_some());
        // Wide is not deep: a long flat chain of operators is within the nesting limit.
        let wide = format!("self.a{}", " && self.a".repeat(5_000));
        assert_eq!(nesting(&wide), 1);
        let huge = format!("self.a{}", " && self.a".repeat(20_000));
        assert!(
            exceeded(&huge)
                .unwrap()
                .starts_with("expression code point size exceeds limit")
        );
        // Brackets hidden in a string are not nesting, but a raw string's backslash ends nothing.
        let hidden = format!("r'\\' + {}1{}", "(".repeat(300), ")".repeat(300));
        assert!(exceeded(&hidden).is_some());
        let quoted = format!("'{}' == self", "(".repeat(300));
        assert_eq!(exceeded(&quoted), None);
    }
}
