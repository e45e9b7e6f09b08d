//! The guide's chapter on the `ktstr` command (guide/src/cli.md) names
//! every subcommand and every option `--help` lists, so it cannot fall
//! behind the command.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ktstr"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run ktstr --help");
    assert!(out.status.success(), "ktstr {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The long options a `--help` text lists (`--help` and `--version` aside).
fn options(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(',').to_string())
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

#[test]
fn the_cli_chapter_names_every_subcommand_and_option() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../guide/src/cli.md");
    let chapter = std::fs::read_to_string(path).expect("read guide/src/cli.md");
    let top = help(&[]);
    let commands = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    let mut seen = 0;
    for name in commands.lines().filter_map(|l| l.split_whitespace().next()) {
        if name == "help" {
            continue;
        }
        assert!(
            chapter.contains(&format!("## `ktstr {name}")),
            "the chapter has no section on `ktstr {name}`"
        );
        seen += 1;
    }
    assert_eq!(seen, 6, "{top}");
    let mut checked = 0;
    for sub in [
        &["run"][..],
        &["list"],
        &["topo"],
        &["compare"],
        &["plot"],
        &["bench"],
        &["bench", "peers"],
    ] {
        for opt in options(&help(sub)) {
            assert!(
                chapter.contains(&format!("`{opt}")) || chapter.contains(&format!(", `{opt}")),
                "the chapter does not name `ktstr {} {opt}`",
                sub.join(" ")
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 25,
        "only {checked} options found: the parsing broke"
    );
}
