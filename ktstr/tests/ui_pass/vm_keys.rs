// `vm` alone and `vm(...)` with every key: what the attribute registers.
use std::collections::HashMap;

use ktstr::__private::TestEntry;
use ktstr::harness::{Ctx, VmSpec};

#[ktstr::test(vm)]
fn bare(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(vm(
    cpus = 8,
    sockets = 2,
    cores = 2,
    threads = 2,
    numa_nodes = 2,
    memory_mb = 1024,
    kernel = "/boot/vmlinuz-test"
))]
fn every_key(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test]
fn host(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let entries: HashMap<&str, &TestEntry> = ktstr::__private::inventory::iter::<TestEntry>
        .into_iter()
        .map(|e| (e.name, e))
        .collect();
    assert_eq!(entries["bare"].spec().vm, Some(VmSpec::DEFAULT));
    assert_eq!(entries["host"].spec().vm, None);
    assert_eq!(
        entries["every_key"].spec().vm,
        Some(VmSpec {
            cpus: 8,
            sockets: 2,
            cores: 2,
            threads: 2,
            numa_nodes: 2,
            memory_mb: 1024,
            kernel: Some("/boot/vmlinuz-test"),
        })
    );
    assert_eq!(entries["every_key"].spec().vm.unwrap().topology().unwrap().cpus, 8);
}
