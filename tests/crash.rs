//! The crash test: the `orders` example, run as a service would run it (`--log`, `--snapshot`,
//! `--snapshot-every`, `--feed`, fsync per command or group commit), is killed with SIGKILL at
//! 100 random moments while it applies a stream of commands. After each kill it is started
//! again with the same arguments and given the commands not yet answered (each carries an
//! idempotency key, so a command that was logged but not answered is recognised). In the end
//! its log holds exactly the events of a run that was never killed, its summary is the same,
//! and every answer it gave equals that run's answer for the command.

mod streams;

use duijie::generate::{generate, Rng, Shape};
use duijie::orders::{Ledger, Rules, Store, StoreOptions};
use duijie::Instance;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;
use streams::Gen;

/// The `orders` example built beside this test (`cargo test` builds the examples).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join("examples").join("orders");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples before the tests",
        path.display()
    );
    path
}

struct Service {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn start(dir: &Path, group: bool) -> Service {
    let mut cmd = Command::new(example());
    cmd.arg("--instance")
        .arg(dir.join("instance.json"))
        .arg("--log")
        .arg(dir.join("log.jsonl"))
        .arg("--snapshot")
        .arg(dir.join("snapshot.json"))
        .args(["--snapshot-every", "9", "--feed", "--summary"])
        .arg(dir.join("summary.json"));
    if group {
        cmd.arg("--group-commit");
    }
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("stderr.txt"))
        .unwrap();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    Service {
        child,
        stdin,
        stdout,
    }
}

#[test]
fn killed_at_100_random_moments() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = generate(&Shape::tiny(), 5);
    std::fs::write(
        dir.join("instance.json"),
        serde_json::to_string(&data).unwrap(),
    )
    .unwrap();
    let instance = Instance::from_data(&data).unwrap();

    // The stream, every command keyed, and the answers of a run never killed.
    let mut reference = Ledger::new(instance.clone()).unwrap();
    let (mut rng, mut gen) = (Rng::new(5), Gen::default());
    let mut lines = Vec::new();
    let mut answers = Vec::new();
    let mut events = Vec::new();
    for k in 0..500 {
        let mut line = gen.command(&mut rng, &reference);
        if !line.starts_with(r#"{"key""#) {
            line = format!(r#"{{"key": "u{k}", {}"#, &line[1..]);
        }
        answers.push(match reference.apply_line(&line) {
            Ok(a) => {
                events.extend(a.event.map(|e| e.to_json()));
                serde_json::json!({"ok": true, "changes": a.changes})
            }
            Err(e) => serde_json::json!({"ok": false, "code": e.code()}),
        });
        lines.push(line);
    }

    // 100 moments to kill at: while the service works on these commands.
    let mut kills: Vec<usize> = (0..100)
        .map(|_| rng.range(0, lines.len() as i64 - 1) as usize)
        .collect();
    kills.sort_unstable();
    let (mut next, mut killed, mut restarts, mut retried) = (0, 0, 0, 0);
    let mut service = start(&dir, false);
    let mut resent = false;
    while next < lines.len() {
        writeln!(service.stdin, "{}", lines[next]).unwrap();
        service.stdin.flush().unwrap();
        if kills.first() == Some(&next) {
            kills.remove(0);
            std::thread::sleep(Duration::from_micros(rng.range(0, 3000) as u64));
            service.child.kill().unwrap();
            service.child.wait().unwrap();
            killed += 1;
            restarts += 1;
            service = start(&dir, restarts % 2 == 1);
            resent = true;
            continue;
        }
        let mut answer = String::new();
        service.stdout.read_line(&mut answer).unwrap();
        let got: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("answer {answer:?} to line {next}: {e}"));
        let want = &answers[next];
        let same = got["ok"] == want["ok"]
            && (got["code"] == want["code"] || want["ok"] == true)
            && (got["changes"] == want["changes"] || got["ok"] == false);
        // A command logged before a kill but never answered is a retry now: ok, no changes.
        let retry = resent
            && got["ok"] == true
            && got["changes"] == serde_json::to_value(duijie::orders::Changes::default()).unwrap();
        assert!(
            same || retry,
            "line {next}: {}\n  answered {answer}  a run never killed answered {want}",
            lines[next]
        );
        retried += usize::from(retry && !same);
        resent = false;
        next += 1;
    }
    drop(service.stdin);
    let status = service.child.wait().unwrap();
    assert!(status.success(), "the service exited with {status}");

    // Every acknowledged command is in the log, once, in order: the log is the unbroken run's.
    let log = std::fs::read_to_string(dir.join("log.jsonl")).unwrap();
    let logged: Vec<&str> = log.lines().skip(1).collect();
    assert_eq!(logged, events);
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert_eq!(summary.trim_end(), reference.summary().to_string());
    let (store, _) = Store::open(
        instance,
        Rules::default(),
        &dir.join("log.jsonl"),
        StoreOptions {
            snapshot: Some(dir.join("snapshot.json")),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert_eq!(store.ledger().snapshot(), reference.snapshot());
    let stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap();
    let torn = stderr.matches("torn last line").count();
    eprintln!(
        "crash test: {killed} kills (SIGKILL), {retried} commands logged but unanswered at a \
         kill and recognised by their key, {torn} torn last lines dropped; {} events, state \
         equal to a run never killed",
        events.len()
    );
}
