//! The inside of `vm(...)`: the VM a test runs in.

use std::collections::HashSet;

use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};

use super::{eq, finish, parse_items, positive, push, string, Item, Value};
use crate::keys::{self, KEYS, VM_KEYS};

/// `vm` or `vm(...)`; `None` for what it left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Vm {
    /// `cpus = N`.
    pub cpus: Option<u32>,
    /// `sockets = N`.
    pub sockets: Option<u32>,
    /// `cores = N`.
    pub cores: Option<u32>,
    /// `threads = N`.
    pub threads: Option<u32>,
    /// `numa_nodes = N`.
    pub numa_nodes: Option<u32>,
    /// `memory_mb = N` (≥ 128).
    pub memory_mb: Option<u32>,
    /// `kernel = "path"`.
    pub kernel: Option<String>,
}

/// `vm` alone or `vm(...)`.
pub(super) fn vm(item: &Item) -> syn::Result<Vm> {
    match &item.value {
        Value::Bare => Ok(Vm::default()),
        Value::List(g) => inside.parse2(g.stream()),
        Value::Eq(_) => Err(syn::Error::new(item.value_span(), keys::takes(KEYS, "vm"))),
    }
}

fn inside(input: ParseStream) -> syn::Result<Vm> {
    let items = parse_items(input)?;
    let mut vm = Vm::default();
    let mut errors = None;
    let mut seen = HashSet::new();
    let mut cpus_span = input.span();
    for item in &items {
        let name = item.key.unraw().to_string();
        if keys::find(VM_KEYS, &name).is_none() {
            push(
                &mut errors,
                syn::Error::new(item.key.span(), keys::unknown(VM_KEYS, &name)),
            );
            continue;
        }
        if !seen.insert(name.clone()) {
            let msg = format!("duplicate key `{name}` in `vm(...)`");
            push(&mut errors, syn::Error::new(item.key.span(), msg));
            continue;
        }
        if name == "cpus" {
            cpus_span = item.value_span();
        }
        let set = eq(VM_KEYS, &name, item).and_then(|e| {
            if name == "kernel" {
                let s = string(VM_KEYS, &name, e)?;
                if s.value().trim().is_empty() {
                    return Err(syn::Error::new(
                        s.span(),
                        "`kernel` is empty: give the path of a bzImage, e.g. kernel = \"/boot/vmlinuz\"",
                    ));
                }
                vm.kernel = Some(s.value());
                return Ok(());
            }
            let n = positive(VM_KEYS, &name, e)?;
            let n = u32::try_from(n)
                .map_err(|_| syn::Error::new_spanned(e, format!("`{name}` is too large")))?;
            if name == "memory_mb" && n < 128 {
                return Err(syn::Error::new_spanned(
                    e,
                    "memory_mb must be at least 128 (the guest kernel and initramfs need it)",
                ));
            }
            let slot = match name.as_str() {
                "cpus" => &mut vm.cpus,
                "sockets" => &mut vm.sockets,
                "cores" => &mut vm.cores,
                "threads" => &mut vm.threads,
                "numa_nodes" => &mut vm.numa_nodes,
                "memory_mb" => &mut vm.memory_mb,
                _ => unreachable!("key `{name}` is listed in VM_KEYS but not handled"),
            };
            *slot = Some(n);
            Ok(())
        });
        if let Err(e) = set {
            push(&mut errors, e);
        }
    }
    if errors.is_none() {
        if let (Some(c), Some(s), Some(k), Some(t)) = (vm.cpus, vm.sockets, vm.cores, vm.threads) {
            if c != s * k * t {
                let msg = format!(
                    "vm topology does not add up: cpus = {c}, but sockets × cores × threads = {}",
                    s * k * t
                );
                push(&mut errors, syn::Error::new(cpus_span, msg));
            }
        }
    }
    finish(errors, vm)
}
