//! The set-up commands of api.md on an SQLite data folder: `users add`,
//! `users token`, and `serve --demo` refused on a database with users.

use crate::common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn empower_with_stdin(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_empower"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the empower binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_add_token_and_demo_as_api_md_says() {
    let dir = temp_dir("users");
    let d = dir.to_str().unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec!["--data-dir", d, "users", "add"];
        args.extend_from_slice(extra);
        empower(&args, &[])
    };
    let out = empower_with_stdin(
        &[
            "--data-dir",
            d,
            "users",
            "add",
            "--email",
            "Ann@Example.org",
            "--name",
            "Ann",
            "--role",
            "state-admin",
            "--password-stdin",
        ],
        "a very good password\n",
    );
    ok(&out);
    assert!(
        stderr(&out).contains("created ann@example.org"),
        "{}",
        stderr(&out)
    );

    // Adding a role the user holds exits 0 and says so.
    let out = add(&[
        "--email",
        "ann@example.org",
        "--name",
        "Ann",
        "--role",
        "state-admin",
    ]);
    ok(&out);
    assert!(stderr(&out).contains("already holds"), "{}", stderr(&out));

    // Scoped roles need a place of the right level; a wrong role is named.
    let out = add(&[
        "--email",
        "sam@example.org",
        "--name",
        "Sam",
        "--role",
        "school-leader",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("needs the school's id"),
        "{}",
        stderr(&out)
    );
    let out = add(&[
        "--email",
        "sam@example.org",
        "--name",
        "Sam",
        "--role",
        "school-leader",
        "--scope",
        "01-001-0010-26-2002",
    ]);
    ok(&out);
    let out = add(&["--email", "x@example.org", "--name", "X", "--role", "boss"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`boss` is not a role"),
        "{}",
        stderr(&out)
    );

    // The token alone and a newline.
    let out = empower(
        &[
            "--data-dir",
            d,
            "users",
            "token",
            "--email",
            "ann@example.org",
        ],
        &[],
    );
    let token = ok(&out);
    assert!(
        token.starts_with("empower_") && token.ends_with('\n'),
        "{token:?}"
    );
    assert_eq!(token.trim_end().lines().count(), 1);
    let out = empower(
        &[
            "--data-dir",
            d,
            "users",
            "token",
            "--email",
            "nobody@example.org",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));

    // Reminders: the leader of a Comprehensive school is listed for its
    // needs assessment and work plan (overdue ones included, so this holds
    // on any date) and reminded once; a second run queues nothing.
    ok(&add(&[
        "--email",
        "lee@example.org",
        "--name",
        "Lee",
        "--role",
        "school-leader",
        "--scope",
        "070161630022008",
    ]));
    let remind = || {
        empower(
            &[
                "--data-dir",
                d,
                "reminders",
                "--days",
                "400",
                "--format",
                "csv",
                "--queue",
            ],
            &[],
        )
    };
    let out = remind();
    let listed = ok(&out);
    assert!(
        listed.starts_with("rcdts,name,district,item,due,standing,reminds\n"),
        "{listed}"
    );
    for item in ["needs-assessment", "work-plan"] {
        assert!(
            listed.lines().any(|l| l.starts_with("070161630022008,")
                && l.contains(item)
                && l.ends_with("lee@example.org")),
            "{listed}"
        );
    }
    assert!(
        stderr(&out).contains("queued 2 reminder e-mail(s)"),
        "{}",
        stderr(&out)
    );
    let out = remind();
    ok(&out);
    assert!(
        stderr(&out).contains("queued 0 reminder e-mail(s) to the outbox; 2 skipped"),
        "{}",
        stderr(&out)
    );

    // --demo only on a database without users; --now only with --demo.
    let out = empower(
        &[
            "--data-dir",
            d,
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("database without users"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let out = empower(
        &["--data-dir", d, "serve", "--now", "2019-01-15T09:00:00Z"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
