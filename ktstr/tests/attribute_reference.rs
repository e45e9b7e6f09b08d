//! One declaration of the thresholds, and a reference that keeps up: the
//! attribute's key table (`ktstr-macros/src/keys.rs`) must take exactly the
//! thresholds the library declares (`ktstr/src/check/thresholds.rs`), and
//! the guide's attribute reference (`guide/src/attributes.md`) must list
//! every key, and every threshold with its type, default, unit and meaning
//! as declared.

use ktstr::check::THRESHOLD_KEYS;

const PAGE: &str = include_str!("../../guide/src/attributes.md");

#[test]
fn threshold_keys_match_the_attribute() {
    let mut attribute: Vec<(&str, &str)> = ktstr::__private::__threshold_keys!().to_vec();
    let mut library: Vec<(&str, &str)> = THRESHOLD_KEYS.iter().map(|k| (k.name, k.ty)).collect();
    attribute.sort_unstable();
    library.sort_unstable();
    assert_eq!(
        attribute, library,
        "the attribute's threshold keys (ktstr-macros/src/keys.rs, left) and the library's \
         declaration (for_each_threshold! in ktstr/src/check/thresholds.rs, right) differ: \
         add or fix the key in the one that lags"
    );
}

#[test]
fn the_guide_lists_every_key() {
    let keys: &[&str] = ktstr::__private::__attribute_keys!();
    assert!(keys.len() > 20, "{keys:?}");
    let missing: Vec<&&str> = keys
        .iter()
        .filter(|k| {
            let bare = k.rsplit('.').next().unwrap_or(k);
            !PAGE
                .lines()
                .any(|l| l.starts_with(&format!("| `{bare}` |")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "guide/src/attributes.md has no table row (`| `KEY` | ...`) for {missing:?}"
    );
}

#[test]
fn the_guide_lists_every_threshold_as_declared() {
    for k in THRESHOLD_KEYS {
        let row = format!(
            "| `{}` | {} | {} | {} | {} |",
            k.name, k.ty, k.default, k.unit, k.description
        );
        assert!(
            PAGE.lines().any(|l| l == row),
            "guide/src/attributes.md lacks the threshold row\n{row}\n(copy it from THRESHOLD_KEYS)"
        );
    }
}

#[test]
fn the_check_fails_on_a_missing_row() {
    // The check above is real: a page without the row fails it.
    let k = &THRESHOLD_KEYS[0];
    let row = format!("| `{}` | {} |", k.name, k.ty);
    let without: String = PAGE
        .lines()
        .filter(|l| !l.starts_with(&format!("| `{}` |", k.name)))
        .collect();
    assert!(PAGE.contains(&row) && !without.contains(&row));
}
