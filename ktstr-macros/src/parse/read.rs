//! The readers of the top-level keys: each checks its value (spanned
//! errors) and returns the [`Setting`]. [`crate::keys::KEYS`] names which
//! reader a key uses.

use syn::Expr;

use super::item::{Item, Value};
use super::model::{Cpusets, SchedulerArg, Setting, ShouldFail, ThresholdValue};
use super::values::{
    boolean, eq, int, literal, number, positive, string, strip, unknown_variant, variant,
};
use crate::keys::{self, Key, ThresholdType, KEYS};

/// The most `retries` a test may ask for: a test that needs more is
/// broken, not flaky.
const MAX_RETRIES: u64 = 10;

/// `workers = N`, N ≥ 1.
pub(crate) fn workers(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    let n = int(&KEYS, k.name, e)?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            e,
            "workers must be at least 1 (a test without workers measures nothing)",
        ));
    }
    Ok(Setting::Count(n))
}

/// `cgroups = N`.
pub(crate) fn cgroups(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    Ok(Setting::Count(int(
        &KEYS,
        k.name,
        eq(&KEYS, k.name, item)?,
    )?))
}

/// `retries = K`: an integer in 1..=MAX_RETRIES.
pub(crate) fn retries(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    let n = int(&KEYS, k.name, e)?;
    if n == 0 || n > MAX_RETRIES {
        return Err(syn::Error::new_spanned(
            e,
            format!(
                "`retries` must be from 1 to {MAX_RETRIES} (got {n}): 0 retries is the default \
                 (leave the key out), and a test that needs more than {MAX_RETRIES} is broken, not flaky"
            ),
        ));
    }
    Ok(Setting::Count(n))
}

/// `duration = "2s"` or `timeout = "30s"`.
pub(crate) fn duration(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    Ok(Setting::Duration(super::values::duration(
        &KEYS, k.name, e,
    )?))
}

/// `work_type` takes any expression but a literal (`"Mixed"` is a common
/// slip for `Mixed`).
pub(crate) fn work_type(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    if let Some(lit) = literal(e) {
        let hint = match lit {
            syn::Lit::Str(s) => format!(
                "`work_type` takes a `WorkType` expression, not a string: write work_type = {}",
                s.value()
            ),
            _ => keys::takes(&KEYS, k.name),
        };
        return Err(syn::Error::new_spanned(e, hint));
    }
    Ok(Setting::WorkType(e.clone()))
}

/// `Fork` or `Thread` (optionally `CloneMode::`-qualified).
pub(crate) fn clone_mode(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    let Some(v) = variant(e, "CloneMode") else {
        return Err(syn::Error::new_spanned(e, keys::takes(&KEYS, k.name)));
    };
    match v.to_string().as_str() {
        "Fork" | "Thread" => Ok(Setting::CloneMode(v.clone())),
        _ => Err(unknown_variant("clone_mode", v, &["Fork", "Thread"])),
    }
}

/// A cpuset layout (optionally `CpusetLayout::`-qualified).
pub(crate) fn cpusets(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    const VARIANTS: &[&str] = &[
        "Inherit",
        "Disjoint",
        "LlcAligned",
        "NumaAligned",
        "Overlap",
    ];
    let e = eq(&KEYS, k.name, item)?;
    if let Expr::Call(call) = strip(e) {
        if let Some(v) = variant(&call.func, "CpusetLayout") {
            if v != "Overlap" {
                return Err(unknown_variant("cpusets layout", v, VARIANTS));
            }
            let args: Vec<_> = call.args.iter().collect();
            let [arg] = args.as_slice() else {
                return Err(syn::Error::new(
                    call.paren_token.span.join(),
                    "`Overlap` takes one fraction, e.g. Overlap(0.5)",
                ));
            };
            let f = number(&KEYS, k.name, arg).map_err(|_| {
                syn::Error::new_spanned(arg, "`Overlap` takes a fraction, e.g. Overlap(0.5)")
            })?;
            if !(f > 0.0 && f < 1.0) {
                return Err(syn::Error::new_spanned(
                    arg,
                    format!("the Overlap fraction must be between 0 and 1 (exclusive), got {f}"),
                ));
            }
            return Ok(Setting::Cpusets(Cpusets::Overlap(f)));
        }
    }
    let Some(v) = variant(e, "CpusetLayout") else {
        return Err(syn::Error::new_spanned(e, keys::takes(&KEYS, k.name)));
    };
    match VARIANTS.iter().find(|n| v == *n) {
        Some(&"Overlap") => Err(syn::Error::new(
            v.span(),
            "`Overlap` needs the fraction two neighbours share, e.g. Overlap(0.5)",
        )),
        Some(n) => Ok(Setting::Cpusets(Cpusets::Plain(n))),
        None => Err(unknown_variant("cpusets layout", v, VARIANTS)),
    }
}

/// `"binary args..."` or a path to a `Scheduler` const.
pub(crate) fn scheduler(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    if let Expr::Path(p) = e {
        if p.qself.is_none() {
            return Ok(Setting::Scheduler(SchedulerArg::Path(p.clone())));
        }
    }
    let s = string(&KEYS, k.name, e)?;
    let value = s.value();
    let mut words = value.split_whitespace().map(String::from);
    let Some(binary) = words.next() else {
        return Err(syn::Error::new(
            s.span(),
            "`scheduler` is empty: name the scheduler binary, \
             e.g. scheduler = \"scx_simple\"",
        ));
    };
    Ok(Setting::Scheduler(SchedulerArg::Command {
        binary,
        args: words.collect(),
    }))
}

/// A threshold key of type `ty`: its value, or `off`.
pub(crate) fn threshold(
    k: &'static Key,
    ty: ThresholdType,
    item: &Item,
) -> syn::Result<ThresholdValue> {
    let e = eq(&KEYS, k.name, item)?;
    if let Expr::Path(p) = strip(e) {
        if p.qself.is_none() && p.path.is_ident("off") {
            return Ok(ThresholdValue::Off);
        }
    }
    Ok(match ty {
        ThresholdType::Bool => ThresholdValue::Flag(boolean(&KEYS, k.name, e)?),
        ThresholdType::F64 => ThresholdValue::Number(number(&KEYS, k.name, e)?),
        ThresholdType::U64 => ThresholdValue::Int(positive(&KEYS, k.name, e)?),
    })
}

/// `ignore` alone (empty reason) or `ignore = "reason"`.
pub(crate) fn ignore(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    Ok(Setting::Ignore(match &item.value {
        Value::Bare => String::new(),
        _ => string(&KEYS, k.name, eq(&KEYS, k.name, item)?)?.value(),
    }))
}

/// `should_fail` alone, `= true | false | "text"` (not empty: an empty text
/// would match every failure).
pub(crate) fn should_fail(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    if let Value::Bare = item.value {
        return Ok(Setting::ShouldFail(ShouldFail::Check));
    }
    let e = eq(&KEYS, k.name, item)?;
    let sf = match literal(e) {
        Some(syn::Lit::Bool(b)) if b.value => ShouldFail::Check,
        Some(syn::Lit::Bool(_)) => ShouldFail::No,
        Some(syn::Lit::Str(s)) if s.value().trim().is_empty() => {
            return Err(syn::Error::new_spanned(
                e,
                "`should_fail` text is empty and would match every failure: give the text the \
                 failure message must contain, or write `should_fail` alone to expect a failed check",
            ))
        }
        Some(syn::Lit::Str(s)) => ShouldFail::Message(s.value()),
        _ => return Err(syn::Error::new_spanned(e, keys::takes(&KEYS, k.name))),
    };
    Ok(Setting::ShouldFail(sf))
}

/// `payloads = ["prog", ...]`: program names (no path separators or
/// spaces), at least one.
pub(crate) fn payloads(k: &'static Key, item: &Item) -> syn::Result<Setting> {
    let e = eq(&KEYS, k.name, item)?;
    let Expr::Array(a) = strip(e) else {
        return Err(syn::Error::new_spanned(e, keys::takes(&KEYS, k.name)));
    };
    if a.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            e,
            "`payloads` is empty: name the programs the body runs (e.g. [\"stress-ng\"]), or leave the key out",
        ));
    }
    let names = a
        .elems
        .iter()
        .map(|el| {
            let s = string(&KEYS, k.name, el)?;
            let v = s.value();
            if v.is_empty() || v.contains(char::is_whitespace) || v.contains('/') {
                return Err(syn::Error::new_spanned(
                    el,
                    "a payload is a program name found on $PATH, e.g. \"stress-ng\" (no spaces, no path)",
                ));
            }
            Ok(s)
        })
        .collect::<syn::Result<_>>()?;
    Ok(Setting::Payloads(names))
}
