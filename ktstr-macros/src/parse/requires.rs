//! `requires(...)`: what the machine must offer, as the fields of the
//! library's `Requirements`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;

use super::item::{Item, Value};
use super::model::Setting;
use super::values::{boolean, eq, int};
use super::{fields, read_field};
use crate::keys::{self, Key, KEYS, REQUIRES_KEYS};

/// `requires(...)`.
pub(crate) fn requires(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    match &item.value {
        Value::List(g) => {
            let parse = |input: syn::parse::ParseStream| {
                fields(input, REQUIRES_KEYS, "requires(...)", read_field)
            };
            Ok(Setting::Requires(parse.parse2(g.stream())?))
        }
        _ => Err(syn::Error::new(
            item.value_span(),
            keys::takes(&KEYS, k.name),
        )),
    }
}

/// `root`, `sched_ext`, `smt`: alone (true) or `= BOOL`.
pub(crate) fn flag(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    let b = match &item.value {
        Value::Bare => true,
        _ => boolean(REQUIRES_KEYS, k.name, eq(REQUIRES_KEYS, k.name, item)?)?,
    };
    Ok(quote!(#b))
}

/// `min_cpus`, `min_llcs`, `min_numa_nodes` = N, N ≥ 1.
pub(crate) fn min_count(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    let what = match k.name {
        "min_cpus" => "CPUs",
        "min_llcs" => "last-level caches",
        _ => "NUMA nodes",
    };
    let e = eq(REQUIRES_KEYS, k.name, item)?;
    let n = int(REQUIRES_KEYS, k.name, e)?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            e,
            format!(
                "{} must be at least 1 (leave it out to accept any number of {what})",
                k.name
            ),
        ));
    }
    let n = proc_macro2::Literal::u64_unsuffixed(n);
    Ok(quote!(#n))
}
