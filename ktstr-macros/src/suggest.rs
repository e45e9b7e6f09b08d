//! "Did you mean": the closest candidate to a misspelt word. One
//! implementation for the attribute's key and variant errors (here) and the
//! library's work-type names: `ktstr` includes this file with
//! `#[path = "../../ktstr-macros/src/suggest.rs"]` (a proc-macro crate can
//! export nothing but macros, so the file is shared, not the crate). It
//! uses only `std`.

/// The candidate closest to `word` (ignoring surrounding whitespace), if it
/// is close: an exact case-insensitive match, else the smallest edit
/// distance when that is at most a third of the longer word (and at least
/// 1); the first candidate wins a tie.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.trim();
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(word) {
            return Some(c);
        }
        let d = edit_distance(&lower, &c.to_ascii_lowercase());
        let limit = (word.len().max(c.len()) / 3).max(1);
        let better = match best {
            Some((bd, _)) => d < bd,
            None => true,
        };
        if d <= limit && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance (insertions, deletions, substitutions), by chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("wokers", "workers"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn closest_first_exact_case_insensitive_else_near() {
        let names = ["SpinWait", "Mixed", "ForkExit"];
        assert_eq!(
            suggest(" spinwait ", names.iter().copied()),
            Some("SpinWait")
        );
        assert_eq!(suggest("Mixd", names.iter().copied()), Some("Mixed"));
        assert_eq!(suggest("zzzzzzzz", names.iter().copied()), None);
    }
}
