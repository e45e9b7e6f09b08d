//! Parsing `#[ktstr::test(key = value, ...)]` into [`Args`]: the item
//! syntax (`item.rs`), the value readers (`values.rs`), the top-level key
//! readers (`read.rs`), `requires(...)` and `vm(...)`, and the parsed
//! model (`model.rs`). Which reader a key uses is in its entry in
//! [`crate::keys`]: dispatch is a table lookup.
//!
//! Every value is checked here, at compile time, and every error is spanned
//! at the offending token: an unknown or repeated key at the key, a value
//! of the wrong kind or out of range at the value. Errors of all keys are
//! collected and reported together.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::Ident;

use crate::keys::{self, Key, Read, KEYS, REQUIRES_KEYS};

pub(crate) mod item;
pub(crate) mod model;
pub(crate) mod read;
pub(crate) mod requires;
pub(crate) mod values;
pub(crate) mod vm;

use item::{parse_items, Errors, Item};
use model::{Args, Cpusets, Setting, ShouldFail};

#[cfg(test)]
mod tests;

/// The reader of a key inside `requires(...)` or `vm(...)`.
pub(crate) fn read_field(k: &'static Key, item: &Item) -> syn::Result<TokenStream> {
    match k.read {
        Read::Field(f) => f(k, item),
        _ => Err(syn::Error::new(item.key.span(), keys::takes(&KEYS, k.name))),
    }
}

/// The items of a `requires(...)` or `vm(...)` list, each read by its key's
/// entry in `table` into (field, value).
pub(crate) fn fields(
    input: ParseStream,
    table: &'static [Key],
    list: &str,
    read: fn(&'static Key, &Item) -> syn::Result<TokenStream>,
) -> syn::Result<Vec<(Ident, TokenStream)>> {
    let items = parse_items(input)?;
    let mut out = Vec::new();
    let mut errors = Errors::default();
    let mut seen = HashSet::new();
    for item in &items {
        let name = item.name();
        let Some(k) = keys::find(table, &name) else {
            errors.push(syn::Error::new(
                item.key.span(),
                keys::unknown(table, &name),
            ));
            continue;
        };
        if !seen.insert(name.clone()) {
            let msg = format!("duplicate key `{name}` in `{list}`");
            errors.push(syn::Error::new(item.key.span(), msg));
            continue;
        }
        match read(k, item) {
            Ok(v) => out.push((Ident::new(k.name, item.key.span()), v)),
            Err(e) => errors.push(e),
        }
    }
    errors.finish(out)
}

/// The message for a top-level key the table does not have.
fn unknown_key(name: &str) -> String {
    match keys::find(REQUIRES_KEYS, name) {
        Some(k) => {
            let example = k.takes.rsplit("e.g. ").next().unwrap_or(k.name);
            format!("`{name}` goes inside `requires(...)`, e.g. requires({example})")
        }
        None => keys::unknown(&KEYS, name),
    }
}

/// Reads `item` with its key's entry.
fn read_item(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    match k.read {
        Read::Setting(f) => f(k, item),
        Read::Threshold(ty) => read::threshold(k, ty, item).map(Setting::Threshold),
        Read::Field(_) => Err(syn::Error::new(item.key.span(), keys::takes(&KEYS, k.name))),
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Args> {
        let items = parse_items(input)?;
        let mut args = Args::default();
        let mut errors = Errors::default();
        let mut seen = HashSet::new();
        let mut spans: Vec<(&'static str, Span, Span)> = Vec::new();
        for item in &items {
            let name = item.name();
            let Some(k) = keys::find(&KEYS, &name) else {
                errors.push(syn::Error::new(item.key.span(), unknown_key(&name)));
                continue;
            };
            if !seen.insert(name.clone()) {
                let msg = format!("duplicate key `{name}`: each key may be given once");
                errors.push(syn::Error::new(item.key.span(), msg));
                continue;
            }
            match read_item(k, item) {
                Ok(s) => {
                    spans.push((k.name, item.key.span(), item.value_span()));
                    args.settings.push((Ident::new(k.name, item.key.span()), s));
                }
                Err(e) => errors.push(e),
            }
        }
        let span_of = |name: &str| spans.iter().find(|(n, ..)| *n == name);
        for e in combinations(&args, span_of) {
            errors.push(e);
        }
        errors.finish(args)
    }
}

/// What no single key can check: a layout without cgroups, a timeout no
/// longer than the workload, retries of an expected failure.
fn combinations<'a>(
    args: &Args,
    span_of: impl Fn(&str) -> Option<&'a (&'static str, Span, Span)>,
) -> Vec<syn::Error> {
    let mut out = Vec::new();
    let cgroups = match args.get("cgroups") {
        Some(Setting::Count(n)) => *n,
        _ => 0,
    };
    if let (Some((_, key, _)), Some(Setting::Cpusets(layout))) =
        (span_of("cpusets"), args.get("cpusets"))
    {
        if *layout != Cpusets::Plain("Inherit") && cgroups == 0 {
            let msg = "`cpusets` lays CPUs out over cgroups: give `cgroups = N` (N ≥ 1) too";
            out.push(syn::Error::new(*key, msg));
        }
    }
    if let (Some((_, _, value)), Some(Setting::Duration(timeout)), Some(Setting::Duration(d))) = (
        span_of("timeout"),
        args.get("timeout"),
        args.get("duration"),
    ) {
        if timeout <= d {
            let msg = format!(
                "`timeout` ({}) must be longer than `duration` ({}): \
                 the test would always time out",
                humantime::format_duration(*timeout),
                humantime::format_duration(*d)
            );
            out.push(syn::Error::new(*value, msg));
        }
    }
    if let (Some((_, key, _)), Some(Setting::ShouldFail(sf))) =
        (span_of("retries"), args.get("should_fail"))
    {
        if *sf != ShouldFail::No {
            let msg = "`retries` cannot be combined with `should_fail`: a retry would \
                       rerun the expected failure until the test passes by accident; \
                       remove one of them";
            out.push(syn::Error::new(*key, msg));
        }
    }
    out
}

/// Parses attribute arguments (test helper): the tokens inside
/// `#[ktstr::test(...)]`.
#[cfg(test)]
pub(crate) fn parse_args(tokens: TokenStream) -> syn::Result<Args> {
    syn::parse2(tokens)
}
