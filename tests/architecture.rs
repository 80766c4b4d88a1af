//! The layering rules of design.md, checked on the source: the Graph client and the
//! emulator know nothing of the UI, and the UI does no I/O.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn assert_no_mention(module: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(module);
    let mut files = Vec::new();
    if root.is_dir() {
        rust_files(&root, &mut files);
    } else {
        files.push(root.with_extension("rs"));
    }
    assert!(!files.is_empty(), "no sources found for {module}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                assert!(
                    !code.contains(word),
                    "{}:{}: `{module}` must not use `{word}`: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn graph_client_knows_nothing_of_the_ui() {
    assert_no_mention(
        "graph",
        &[
            "ratatui",
            "crossterm",
            "crate::app",
            "crate::ui",
            "crate::tui",
        ],
    );
}

#[test]
fn signin_knows_nothing_of_the_ui() {
    assert_no_mention(
        "signin",
        &[
            "ratatui",
            "crossterm",
            "crate::app",
            "crate::ui",
            "crate::tui",
            "println!",
            "eprintln!",
        ],
    );
}

#[test]
fn emulator_knows_nothing_of_the_ui() {
    assert_no_mention(
        "emulator",
        &[
            "ratatui",
            "crossterm",
            "crate::app",
            "crate::ui",
            "crate::tui",
        ],
    );
}

#[test]
fn ui_and_app_do_no_io() {
    let io = [
        "reqwest",
        "tokio::",
        "std::fs",
        "std::net",
        "crate::graph::Client",
        "std::io::stdout",
    ];
    assert_no_mention("ui", &io);
    assert_no_mention("app", &io);
}
