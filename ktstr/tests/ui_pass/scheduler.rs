// `scheduler = "command line"` and `scheduler = PATH` to a `Scheduler`
// const: what each registers.
use ktstr::__private::TestEntry;
use ktstr::harness::Ctx;
use ktstr::scheduler::Scheduler;

const MINE: Scheduler = Scheduler::new("scx_mine")
    .args(&["-v", "--slice-us", "500"])
    .ops_prefix("mine")
    .timeout_arg("--timeout-ms", 3000);

#[ktstr::test(scheduler = MINE)]
fn by_const(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(scheduler = ktstr::scheduler::BPFLAND)]
fn by_path(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(scheduler = "  scx_bpfland   -k  ")]
fn by_command(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let get = |name: &str| {
        ktstr::__private::inventory::iter::<TestEntry>
            .into_iter()
            .find(|e| e.name == name)
            .and_then(|e| e.spec().scheduler)
            .unwrap()
    };
    assert_eq!(get("by_const"), MINE);
    assert_eq!(get("by_path"), ktstr::scheduler::BPFLAND);
    let c = get("by_command");
    assert_eq!((c.binary, c.args), ("scx_bpfland", &["-k"][..]));
    assert_eq!(c.ops_prefix, None);
    assert_eq!(c.to_string(), "scx_bpfland -k");
}
