//! The inside of `vm(...)`: the VM a test runs in, as the fields of the
//! library's `VmSpec`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::parse::{ParseStream, Parser};

use super::item::{Item, Value};
use super::model::Setting;
use super::values::{eq, positive, string};
use super::{fields, read_field};
use crate::keys::{self, Key, KEYS, VM_KEYS};

/// `vm` alone or `vm(...)`.
pub(crate) fn vm(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    match &item.value {
        Value::Bare => Ok(Setting::Vm(Vec::new())),
        Value::List(g) => Ok(Setting::Vm(inside.parse2(g.stream())?)),
        Value::Eq(_) => Err(syn::Error::new(
            item.value_span(),
            keys::takes(&KEYS, k.name),
        )),
    }
}

/// The keys, then a check that an explicit topology adds up.
fn inside(input: ParseStream) -> syn::Result<Vec<(syn::Ident, TokenStream)>> {
    let all = fields(input, VM_KEYS, "vm(...)", read_field)?;
    let get = |name: &str| {
        all.iter()
            .find(|(k, _)| k == name)
            .and_then(|(k, v)| Some((k, v.to_string().parse::<u32>().ok()?)))
    };
    if let (Some((cpus, c)), Some((_, s)), Some((_, k)), Some((_, t))) =
        (get("cpus"), get("sockets"), get("cores"), get("threads"))
    {
        if c != s * k * t {
            let msg = format!(
                "vm topology does not add up: cpus = {c}, but sockets × cores × threads = {}",
                s * k * t
            );
            let span = all
                .iter()
                .find(|(k, _)| k == cpus)
                .and_then(|(_, v)| v.clone().into_iter().next())
                .map_or_else(|| cpus.span(), |t| t.span());
            return Err(syn::Error::new(span, msg));
        }
    }
    Ok(all)
}

/// A count ≥ 1 that fits a `u32`.
fn count_of(k: &'static Key, item: &Item) -> syn::Result<u32> {
    let e = eq(VM_KEYS, k.name, item)?;
    let n = positive(VM_KEYS, k.name, e)?;
    u32::try_from(n).map_err(|_| syn::Error::new_spanned(e, format!("`{}` is too large", k.name)))
}

/// The spanned literal of `n`, at the value of `item`.
fn spanned(n: u32, item: &Item) -> TokenStream {
    let mut lit = Literal::u32_unsuffixed(n);
    lit.set_span(item.value_span());
    quote!(#lit)
}

/// `cpus`, `sockets`, `cores`, `threads`, `numa_nodes` = N, N ≥ 1.
pub(crate) fn count(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    Ok(spanned(count_of(k, item)?, item))
}

/// `memory_mb = N`, N ≥ 128.
pub(crate) fn memory_mb(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    let n = count_of(k, item)?;
    if n < 128 {
        return Err(syn::Error::new(
            item.value_span(),
            "memory_mb must be at least 128 (the guest kernel and initramfs need it)",
        ));
    }
    Ok(spanned(n, item))
}

/// `kernel = "path"` (not blank).
pub(crate) fn kernel(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    let s = string(VM_KEYS, k.name, eq(VM_KEYS, k.name, item)?)?;
    if s.value().trim().is_empty() {
        return Err(syn::Error::new(
            s.span(),
            "`kernel` is empty: give the path of a bzImage, e.g. kernel = \"/boot/vmlinuz\"",
        ));
    }
    Ok(quote!(::core::option::Option::Some(#s)))
}
