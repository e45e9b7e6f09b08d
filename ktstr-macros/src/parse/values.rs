//! Value readers: a literal of the right kind and range, or an error
//! spanned at the value saying what the key takes.

use std::time::Duration;

use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitStr, UnOp};

use super::item::{Item, Value};
use crate::keys::{self, Key};

/// The value of `key = value`; a bare key or a list is an error saying
/// what the key takes.
pub(crate) fn eq<'a>(keys: &'static [Key], name: &str, item: &'a Item) -> syn::Result<&'a Expr> {
    match &item.value {
        Value::Eq(e) => Ok(e),
        _ => Err(syn::Error::new(item.value_span(), keys::takes(keys, name))),
    }
}

/// `e` without the invisible groups `macro_rules!` wraps around fragments,
/// and without parentheses.
pub(crate) fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Group(g) => e = &g.expr,
            Expr::Paren(p) => e = &p.expr,
            _ => return e,
        }
    }
}

/// The literal `e` is, if it is one.
pub(crate) fn literal(e: &Expr) -> Option<&Lit> {
    match strip(e) {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

/// Whether `e` is a negated numeric literal (`-1`, `-0.5`).
fn is_negative_number(e: &Expr) -> bool {
    match strip(e) {
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
            matches!(literal(&u.expr), Some(Lit::Int(_) | Lit::Float(_)))
        }
        _ => false,
    }
}

fn not_negative(name: &str, e: &Expr) -> syn::Result<()> {
    if is_negative_number(e) {
        return Err(syn::Error::new_spanned(
            e,
            format!("`{name}` must not be negative"),
        ));
    }
    Ok(())
}

/// An integer literal without a suffix or with an integer type's.
pub(crate) fn int(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<u64> {
    const SUFFIXES: &[&str] = &[
        "", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    not_negative(name, e)?;
    match literal(e) {
        Some(Lit::Int(i)) if SUFFIXES.contains(&i.suffix()) => i.base10_parse::<u64>(),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// An integer of at least 1.
pub(crate) fn positive(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<u64> {
    let n = int(keys, name, e)?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            e,
            format!("{name} must be at least 1"),
        ));
    }
    Ok(n)
}

/// A non-negative finite number: an integer or float literal.
pub(crate) fn number(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<f64> {
    not_negative(name, e)?;
    let v = match literal(e) {
        Some(Lit::Float(f)) if matches!(f.suffix(), "" | "f32" | "f64") => {
            f.base10_parse::<f64>()?
        }
        Some(Lit::Int(i)) if i.suffix().is_empty() => i.base10_parse::<f64>()?,
        _ => return Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    };
    if !v.is_finite() {
        return Err(syn::Error::new_spanned(
            e,
            format!("`{name}` must be finite"),
        ));
    }
    Ok(v)
}

/// `true` or `false`.
pub(crate) fn boolean(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<bool> {
    match literal(e) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// A string literal.
pub(crate) fn string(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<LitStr> {
    match literal(e) {
        Some(Lit::Str(s)) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// A duration string (humantime syntax), more than zero.
pub(crate) fn duration(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<Duration> {
    let s = string(keys, name, e)?;
    let d = humantime::parse_duration(&s.value()).map_err(|err| {
        syn::Error::new(
            s.span(),
            format!(
                "bad duration {:?} for `{name}`: {err}; write e.g. \"2s\", \"500ms\" or \"1m 30s\"",
                s.value()
            ),
        )
    })?;
    if d.is_zero() {
        return Err(syn::Error::new(
            s.span(),
            format!("`{name}` must be more than zero"),
        ));
    }
    if u64::try_from(d.as_nanos()).is_err() {
        return Err(syn::Error::new(
            s.span(),
            format!("`{name}` {:?} is too long", s.value()),
        ));
    }
    Ok(d)
}

/// The variant a path like `Fork`, `CloneMode::Fork` or
/// `ktstr::workload::CloneMode::Fork` names: its last segment, when any
/// segment before it is `type_name`.
pub(crate) fn variant<'a>(e: &'a Expr, type_name: &str) -> Option<&'a Ident> {
    let Expr::Path(ExprPath {
        qself: None, path, ..
    }) = strip(e)
    else {
        return None;
    };
    let segs: Vec<_> = path.segments.iter().collect();
    if segs.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    match segs.as_slice() {
        [only] if path.leading_colon.is_none() => Some(&only.ident),
        [.., ty, last] if ty.ident == type_name => Some(&last.ident),
        _ => None,
    }
}

/// The error for an unknown variant `v` of `key`.
pub(crate) fn unknown_variant(key: &str, v: &Ident, variants: &[&str]) -> syn::Error {
    let name = v.to_string();
    let list = variants.join(", ");
    let msg = match crate::suggest::suggest(&name, variants.iter().copied()) {
        Some(s) => format!("unknown {key} `{name}`; did you mean `{s}`? (expected one of: {list})"),
        None => format!("unknown {key} `{name}` (expected one of: {list})"),
    };
    syn::Error::new(v.span(), msg)
}
