//! Turning the test function and its [`Args`] into the function itself plus
//! an `inventory::submit!` of its `::ktstr::__private::TestEntry`, whose
//! `spec` builds the test's `::ktstr::harness::TestSpec`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, GenericParam, Ident, ItemFn, LitStr, Path, ReturnType, Type};

use crate::parse::model::{Args, Cpusets, SchedulerArg, Setting, ShouldFail, ThresholdValue};

/// The message for a function of the wrong shape.
const SHAPE: &str = "a ktstr test takes `ctx: &mut Ctx` and returns `Result<()>`";

/// The whole attribute: `attr` is what is inside `#[ktstr::test(...)]`,
/// `item` the function. On errors, the function is kept as it was (so the
/// rest of the crate still sees it) and the errors are emitted beside it.
pub(crate) fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "#[ktstr::test] goes on a function: `fn NAME(ctx: &mut Ctx) -> Result<()>`",
            );
            let e = e.to_compile_error();
            return quote!(#e #item);
        }
    };
    let args = syn::parse2::<Args>(attr);
    let sig = check_signature(&f);
    match (args, sig) {
        (Ok(args), Ok(())) => expand(&args, &f),
        (args, sig) => {
            let mut errors = TokenStream::new();
            for e in [args.err(), sig.err()].into_iter().flatten() {
                errors.extend(e.to_compile_error());
            }
            quote! {
                #errors
                #[allow(dead_code)]
                #f
            }
        }
    }
}

/// Checks that `f` can be a test body: no `async`, `unsafe`, `extern` or
/// type parameters, exactly one argument that is not `self` nor a shared
/// reference, and an explicit return type. The exact types are left to the
/// type checker (any spelling of `Ctx` and `Result` works).
pub(crate) fn check_signature(f: &ItemFn) -> syn::Result<()> {
    let sig = &f.sig;
    let mut errors: Option<syn::Error> = None;
    let mut fail = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    if let Some(t) = &sig.asyncness {
        fail(syn::Error::new(
            t.span(),
            "a ktstr test cannot be `async`; block on futures inside the body if needed",
        ));
    }
    if let Some(t) = &sig.unsafety {
        fail(syn::Error::new(t.span(), "a ktstr test cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        fail(syn::Error::new_spanned(
            abi,
            "a ktstr test cannot be `extern`",
        ));
    }
    let generic = sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, GenericParam::Lifetime(_)));
    if generic || sig.generics.where_clause.is_some() {
        fail(syn::Error::new_spanned(
            &sig.generics,
            "a ktstr test cannot be generic",
        ));
    }
    let one_arg = match sig.inputs.iter().collect::<Vec<_>>().as_slice() {
        [FnArg::Typed(arg)] => {
            if let Type::Reference(r) = &*arg.ty {
                if r.mutability.is_none() {
                    fail(syn::Error::new_spanned(
                        &arg.ty,
                        format!("{SHAPE}: the context must be borrowed mutably (`&mut`)"),
                    ));
                }
            }
            true
        }
        _ => false,
    };
    let returns = matches!(sig.output, ReturnType::Type(..));
    if !one_arg || !returns || sig.variadic.is_some() {
        fail(syn::Error::new_spanned(sig, SHAPE));
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The function unchanged plus its registration: a `TestEntry` whose
/// `spec` is a function building the test's `TestSpec` with the library's
/// builder, one call per key given (the method is named like the key).
fn expand(args: &Args, f: &ItemFn) -> TokenStream {
    let ident = &f.sig.ident;
    let name = LitStr::new(&ident.unraw().to_string(), ident.span());
    // `line!()` spanned at the name reports the function's line, not the
    // attribute's.
    let line = quote_spanned!(ident.span()=> ::core::line!());
    // A `#[cfg]` that removes the function removes its entry too.
    let cfgs = f.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    let spec = if args.settings.is_empty() {
        quote!(::ktstr::harness::TestSpec::default)
    } else {
        let calls = args.settings.iter().map(|(key, s)| call(key, s));
        quote!({
            fn spec() -> ::ktstr::harness::TestSpec {
                ::ktstr::harness::TestSpec::default() #(#calls)*
            }
            spec
        })
    };
    quote! {
        #f

        #(#cfgs)*
        ::ktstr::__private::inventory::submit! {
            ::ktstr::__private::TestEntry {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                func: #ident,
                spec: #spec,
            }
        }
    }
}

/// The builder call of one key: `.KEY(VALUE)`, or `.off(KEY)` for a
/// threshold switched off.
fn call(key: &Ident, s: &Setting) -> TokenStream {
    let value = match s {
        Setting::Count(n) => Literal::u64_unsuffixed(*n).into_token_stream(),
        Setting::WorkType(e) => {
            let e = resolve_work_type(e.clone());
            quote!(|| #e)
        }
        Setting::CloneMode(v) => quote!(::ktstr::workload::CloneMode::#v),
        Setting::Duration(d) => duration(*d),
        Setting::Cpusets(Cpusets::Plain(v)) => {
            let v = Ident::new(v, Span::call_site());
            quote!(::ktstr::harness::CpusetLayout::#v)
        }
        Setting::Cpusets(Cpusets::Overlap(f)) => {
            let f = Literal::f64_suffixed(*f);
            quote!(::ktstr::harness::CpusetLayout::Overlap(#f))
        }
        Setting::Scheduler(s) => scheduler(s),
        Setting::Threshold(ThresholdValue::Off) => {
            let k = Ident::new(&camel(&key.to_string()), key.span());
            return quote!(.off(::ktstr::check::ThresholdKey::#k));
        }
        Setting::Threshold(ThresholdValue::Flag(b)) => quote!(#b),
        Setting::Threshold(ThresholdValue::Number(v)) => {
            Literal::f64_suffixed(*v).into_token_stream()
        }
        Setting::Threshold(ThresholdValue::Int(v)) => Literal::u64_suffixed(*v).into_token_stream(),
        Setting::Ignore(reason) => quote!(#reason),
        Setting::ShouldFail(sf) => match sf {
            ShouldFail::No => quote!(::ktstr::harness::ShouldFail::No),
            ShouldFail::Check => quote!(::ktstr::harness::ShouldFail::Check),
            ShouldFail::Message(t) => quote!(::ktstr::harness::ShouldFail::WithMessage(#t)),
        },
        Setting::Requires(fields) => {
            let (k, v): (Vec<_>, Vec<_>) = fields.iter().cloned().unzip();
            quote!(::ktstr::harness::Requirements {
                #(#k: #v,)*
                ..::ktstr::harness::Requirements::NONE
            })
        }
        Setting::Vm(fields) => {
            let (k, v): (Vec<_>, Vec<_>) = fields.iter().cloned().unzip();
            quote!(::ktstr::harness::VmSpec {
                #(#k: #v,)*
                ..::ktstr::harness::VmSpec::DEFAULT
            })
        }
        Setting::Payloads(p) => quote!(&[#(#p),*]),
    };
    quote!(.#key(#value))
}

/// `max_spread_pct` → `MaxSpreadPct` (the `ThresholdKey` variant).
fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A `Scheduler` expression: the const path as written (a type error
/// spanned at it when it is no `Scheduler`), or one built from the command
/// line.
fn scheduler(s: &SchedulerArg) -> TokenStream {
    match s {
        SchedulerArg::Path(p) => {
            quote_spanned!(p.span()=> #p)
        }
        SchedulerArg::Command { binary, args } => {
            quote!(::ktstr::scheduler::Scheduler::new(#binary).args(&[#(#args),*]))
        }
    }
}

/// `::core::time::Duration::from_nanos(N)` (the parser checked N fits).
fn duration(d: std::time::Duration) -> TokenStream {
    let nanos = Literal::u64_suffixed(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    quote!(::core::time::Duration::from_nanos(#nanos))
}

/// Resolves a one-segment path at the head of a `work_type` expression
/// against `::ktstr::workload::WorkType::`: `Mixed`, `PipeIo { .. }` and
/// `bursty()` become `::ktstr::workload::WorkType::Mixed` and so on. Longer
/// paths (`WorkType::Mixed`, `crate::my_work()`) and every other
/// expression are kept as written.
pub(crate) fn resolve_work_type(mut e: Expr) -> Expr {
    if let Some(path) = head_path(&mut e) {
        if path.leading_colon.is_none() && path.segments.len() == 1 {
            let seg = &path.segments[0];
            *path = syn::parse_quote_spanned!(seg.span()=> ::ktstr::workload::WorkType::#seg);
        }
    }
    e
}

/// The path that names what `e` builds: `P`, `P { .. }` or `P(..)`.
fn head_path(e: &mut Expr) -> Option<&mut Path> {
    match e {
        Expr::Group(g) => head_path(&mut g.expr),
        Expr::Paren(p) => head_path(&mut p.expr),
        Expr::Path(p) if p.qself.is_none() => Some(&mut p.path),
        Expr::Struct(s) if s.qself.is_none() => Some(&mut s.path),
        Expr::Call(c) => match &mut *c.func {
            Expr::Path(p) if p.qself.is_none() => Some(&mut p.path),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn resolved(e: Expr) -> String {
        resolve_work_type(e).to_token_stream().to_string()
    }

    #[test]
    fn work_type_resolution() {
        assert_eq!(
            resolved(parse_quote!(Mixed)),
            ":: ktstr :: workload :: WorkType :: Mixed"
        );
        assert_eq!(
            resolved(parse_quote!(PipeIo { burst_iters: 64 })),
            ":: ktstr :: workload :: WorkType :: PipeIo { burst_iters : 64 }"
        );
        assert_eq!(
            resolved(parse_quote!(bursty())),
            ":: ktstr :: workload :: WorkType :: bursty ()"
        );
        assert_eq!(
            resolved(parse_quote!((sequence(phases())))),
            "(:: ktstr :: workload :: WorkType :: sequence (phases ()))"
        );
        for kept in [
            quote!(WorkType::Mixed),
            quote!(crate::my_work()),
            quote!(::other::Mixed),
            quote!(self::X { a: 1 }),
            quote!(<T as Tr>::make()),
            quote!(if fast { a() } else { b() }),
            quote!(make().with(3)),
        ] {
            let e: Expr = syn::parse2(kept.clone()).unwrap();
            assert_eq!(resolved(e), kept.to_string());
        }
    }

    fn sig_err(f: TokenStream) -> String {
        let f: ItemFn = syn::parse2(f).unwrap();
        check_signature(&f).expect_err("an error").to_string()
    }

    #[test]
    fn signatures() {
        for good in [
            quote!(
                fn t(ctx: &mut Ctx) -> Result<()> {}
            ),
            quote!(
                fn t(_: &mut ktstr::harness::Ctx) -> anyhow::Result<()> {}
            ),
            quote!(
                pub(crate) fn t<'a>(ctx: &'a mut Ctx) -> Result<()> {}
            ),
            quote!(
                const fn t(c: C) -> R {}
            ),
        ] {
            let f: ItemFn = syn::parse2(good).unwrap();
            assert!(check_signature(&f).is_ok());
        }
        assert_eq!(
            sig_err(quote!(
                fn t() -> Result<()> {}
            )),
            SHAPE
        );
        assert_eq!(
            sig_err(quote!(
                fn t(ctx: &mut Ctx) {}
            )),
            SHAPE
        );
        assert_eq!(
            sig_err(quote!(
                fn t(a: &mut Ctx, b: u32) -> Result<()> {}
            )),
            SHAPE
        );
        assert_eq!(
            sig_err(quote!(
                fn t(&mut self) -> Result<()> {}
            )),
            SHAPE
        );
        assert!(sig_err(quote!(
            fn t(ctx: &Ctx) -> Result<()> {}
        ))
        .ends_with("(`&mut`)"));
        assert!(sig_err(quote!(
            async fn t(ctx: &mut Ctx) -> Result<()> {}
        ))
        .starts_with("a ktstr test cannot be `async`"));
        assert_eq!(
            sig_err(quote!(
                fn t<C>(ctx: &mut C) -> Result<()> {}
            )),
            "a ktstr test cannot be generic"
        );
        assert_eq!(
            sig_err(quote!(
                fn t(ctx: &mut Ctx) -> Result<()>
                where
                    Ctx: Sized,
                {
                }
            )),
            "a ktstr test cannot be generic"
        );
        assert_eq!(
            sig_err(quote!(
                unsafe fn t(ctx: &mut Ctx) -> Result<()> {}
            )),
            "a ktstr test cannot be `unsafe`"
        );
        assert_eq!(
            sig_err(quote!(
                extern "C" fn t(ctx: &mut Ctx) -> Result<()> {}
            )),
            "a ktstr test cannot be `extern`"
        );
    }

    fn expanded(attr: TokenStream, f: TokenStream) -> String {
        test(attr, f).to_string()
    }

    #[test]
    fn bare_attribute_sets_only_identity() {
        let out = expanded(
            quote!(),
            quote!(
                fn my_test(ctx: &mut Ctx) -> Result<()> {
                    Ok(())
                }
            ),
        );
        let want = quote! {
            fn my_test(ctx: &mut Ctx) -> Result<()> { Ok(()) }
            ::ktstr::__private::inventory::submit! {
                ::ktstr::__private::TestEntry {
                    name: "my_test",
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    func: my_test,
                    spec: ::ktstr::harness::TestSpec::default,
                }
            }
        };
        assert_eq!(out, want.to_string());
    }

    #[test]
    fn every_key_is_a_builder_call() {
        let out = expanded(
            quote!(
                workers = 4,
                work_type = Mixed,
                clone_mode = Thread,
                duration = "1500ms",
                cgroups = 2,
                cpusets = Overlap(0.5),
                max_spread_pct = 35,
                max_gap_ms = 500,
                not_starved = false,
                min_work_rate = off,
                isolation = false,
                timeout = "30s",
                ignore = "slow",
                should_fail,
                requires(root, min_cpus = 4),
                scheduler = "scx_simple -v",
                vm(cpus = 4)
            ),
            quote!(
                #[cfg(unix)]
                fn r#loop(ctx: &mut Ctx) -> Result<()> {
                    Ok(())
                }
            ),
        );
        let want = quote! {
            #[cfg(unix)] fn r#loop(ctx: &mut Ctx) -> Result<()> { Ok(()) }
            #[cfg(unix)]
            ::ktstr::__private::inventory::submit! {
                ::ktstr::__private::TestEntry {
                    name: "loop",
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    func: r#loop,
                    spec: {
                        fn spec() -> ::ktstr::harness::TestSpec {
                            ::ktstr::harness::TestSpec::default()
                                .workers(4)
                                .work_type(|| ::ktstr::workload::WorkType::Mixed)
                                .clone_mode(::ktstr::workload::CloneMode::Thread)
                                .duration(::core::time::Duration::from_nanos(1500000000u64))
                                .cgroups(2)
                                .cpusets(::ktstr::harness::CpusetLayout::Overlap(0.5f64))
                                .max_spread_pct(35f64)
                                .max_gap_ms(500u64)
                                .not_starved(false)
                                .off(::ktstr::check::ThresholdKey::MinWorkRate)
                                .isolation(false)
                                .timeout(::core::time::Duration::from_nanos(30000000000u64))
                                .ignore("slow")
                                .should_fail(::ktstr::harness::ShouldFail::Check)
                                .requires(::ktstr::harness::Requirements {
                                    root: true,
                                    min_cpus: 4,
                                    ..::ktstr::harness::Requirements::NONE
                                })
                                .scheduler(::ktstr::scheduler::Scheduler::new("scx_simple").args(&["-v"]))
                                .vm(::ktstr::harness::VmSpec {
                                    cpus: 4,
                                    ..::ktstr::harness::VmSpec::DEFAULT
                                })
                        }
                        spec
                    },
                }
            }
        };
        assert_eq!(out, want.to_string());
    }

    #[test]
    fn threshold_variants_are_camel_case() {
        assert_eq!(camel("max_p99_wake_latency_us"), "MaxP99WakeLatencyUs");
        assert_eq!(camel("not_starved"), "NotStarved");
    }

    #[test]
    fn errors_keep_the_function() {
        let out = expanded(
            quote!(workers = 0),
            quote!(
                fn t() {}
            ),
        );
        assert!(out.contains("workers must be at least 1"), "{out}");
        assert!(out.contains(SHAPE), "{out}");
        assert!(out.ends_with("# [allow (dead_code)] fn t () { }"), "{out}");
        assert!(!out.contains("inventory"), "{out}");
        let out = expanded(
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(out.contains("goes on a function"), "{out}");
        assert!(out.ends_with("struct S ;"), "{out}");
    }
}
