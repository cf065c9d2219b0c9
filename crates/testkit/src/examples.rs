//! The example binaries cargo built beside the running test (`target/<profile>/examples/`).
//!
//! Only an unfiltered `cargo test` builds a package's examples: with `--test <name>` alone an
//! example may be missing, or older than its sources, and testing it would test old code. So
//! both fail the test with the command that builds them.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The built example `name` of `package`, whose manifest directory is `manifest_dir` (pass
/// `env!("CARGO_PKG_NAME")` and `env!("CARGO_MANIFEST_DIR")`); fails the test if the binary is
/// missing or older than `examples/<name>.rs`, a file below a directory of `examples/`, or a
/// file of the package's `src/`.
pub fn example_binary(package: &str, manifest_dir: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let binary = profile_dir.join("examples").join(name);
    let hint = format!("run `cargo build -p {package} --examples` (or an unfiltered `cargo test`)");
    let built =
        modified(&binary).unwrap_or_else(|| panic!("{} is missing: {hint}", binary.display()));
    let crate_dir = Path::new(manifest_dir);
    let mut sources = Vec::new();
    collect_files(&crate_dir.join(format!("examples/{name}.rs")), &mut sources);
    collect_files(&crate_dir.join("src"), &mut sources);
    // Subdirectories of examples/ hold examples of several files and the modules examples
    // share by `#[path]`: any of them may be part of this one.
    let subdirectories = std::fs::read_dir(crate_dir.join("examples"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir());
    for directory in subdirectories {
        collect_files(&directory, &mut sources);
    }
    if let Some(newer) = sources
        .iter()
        .find(|source| modified(source).is_some_and(|m| m > built))
    {
        panic!(
            "{} is older than {}: {hint}",
            binary.display(),
            newer.display()
        );
    }
    binary
}

/// `path` if it is a file, else every file below it (nothing if it does not exist).
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                collect_files(&entry.path(), files);
            }
        }
        Err(_) if path.is_file() => files.push(path.to_owned()),
        Err(_) => {}
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_files_walks_directories_and_skips_what_is_absent() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        collect_files(&dir.join("src"), &mut files);
        collect_files(&dir.join("Cargo.toml"), &mut files);
        collect_files(&dir.join("no-such-dir"), &mut files);
        assert!(files.contains(&dir.join("src/examples.rs")));
        assert!(files.contains(&dir.join("Cargo.toml")));
        assert!(files.iter().all(|file| file.is_file()), "{files:?}");
    }

    #[test]
    #[should_panic(expected = "run `cargo build -p some-package --examples`")]
    fn a_missing_example_names_the_command_that_builds_it() {
        example_binary(
            "some-package",
            env!("CARGO_MANIFEST_DIR"),
            "no_such_example",
        );
    }
}
