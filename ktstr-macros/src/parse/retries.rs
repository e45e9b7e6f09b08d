//! `retries = K`: how many times a failed test is rerun (its pass after a
//! retry is reported FLAKY by the harness). Combining it with
//! `should_fail` is refused in [`super::Args`]'s parse.

use syn::Expr;

use super::int;
use crate::keys::KEYS;

/// The most `retries` a test may ask for: a test that needs more is
/// broken, not flaky.
const MAX_RETRIES: u64 = 10;

/// `retries = K`: an integer in 1..=MAX_RETRIES.
pub(crate) fn retries(e: &Expr) -> syn::Result<u64> {
    let n = int(KEYS, "retries", e)?;
    if n == 0 || n > MAX_RETRIES {
        return Err(syn::Error::new_spanned(
            e,
            format!(
                "`retries` must be from 1 to {MAX_RETRIES} (got {n}): 0 retries is the default \
                 (leave the key out), and a test that needs more than {MAX_RETRIES} is broken, not flaky"
            ),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::super::Args;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Args> {
        syn::parse2::<Args>(tokens)
    }

    #[test]
    fn retries_takes_one_to_ten() {
        assert_eq!(
            parse(quote!(retries = 2)).ok().and_then(|a| a.retries),
            Some(2)
        );
        assert_eq!(
            parse(quote!(retries = 2, should_fail = false))
                .ok()
                .and_then(|a| a.retries),
            Some(2)
        );
        for bad in [quote!(retries = 0), quote!(retries = 11)] {
            let e = parse(bad).err().expect("an error").to_string();
            assert!(e.starts_with("`retries` must be from 1 to 10"), "{e}");
        }
        let e = parse(quote!(retries = "2"))
            .err()
            .expect("an error")
            .to_string();
        assert!(
            e.starts_with("`retries` takes an integer from 1 to 10"),
            "{e}"
        );
        let e = parse(quote!(retries = 1, should_fail))
            .err()
            .expect("an error")
            .to_string();
        assert!(
            e.starts_with("`retries` cannot be combined with `should_fail`"),
            "{e}"
        );
    }
}
