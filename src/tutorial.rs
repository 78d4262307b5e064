//! A tutorial: dualdraw from a service's point of view.
//!
//! Every example below is compiled and run by `cargo test` (they are doc tests), so what you
//! read here works. The library reads no file itself: the examples build their inputs from
//! text and records, as a service that holds its directories in a database would. (The
//! `fs` feature adds file helpers for the command-line program; nothing here needs them.)
//!
//! 1. [Embedding a draw](#1-embedding-a-draw-from-in-memory-records)
//! 2. [Streaming a large directory](#2-streaming-a-large-directory)
//! 3. [Verifying a published log](#3-verifying-a-published-log)
//! 4. [Commit, then reveal](#4-commit-then-reveal)
//! 5. [Proving one enterprise's fate](#5-proving-one-enterprises-fate)
//!
//! # 1. Embedding a draw from in-memory records
//!
//! A draw needs a [`Plan`](crate::Plan) (TOML, as a bureau writes it), the target directory
//! (检查对象名录库) and the officer directory (执法检查人员名录库). Records a service already
//! holds become directories with [`Targets::from_records`](crate::Targets::from_records) and
//! [`Officers::from_records`](crate::Officers::from_records), which validate them as the CSV
//! reader validates rows and keep them sorted by id, so the digest is the same however the
//! rows came in. [`Draw`](crate::Draw) runs the draw and returns the outcome and the log.
//!
//! ```
//! use dualdraw::{Draw, Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Plan, Targets};
//!
//! let enterprise = |id: &str, name: &str| Enterprise {
//!     id: id.into(),
//!     name: name.into(),
//!     region: "120116".into(),
//!     domains: vec!["无线电".into()],
//!     credit_class: None,
//!     status: EnterpriseStatus::Active,
//!     last_inspected: None,
//! };
//! let targets = Targets::from_records(
//!     [
//!         enterprise("91120116MA05JKLM8J", "乙公司"),
//!         enterprise("9144030071526726XG", "甲公司"),
//!     ],
//!     "enterprise table",
//! )?;
//! let officer = |id: &str, cert: &str| Officer {
//!     id: id.into(),
//!     name: "(personal data)".into(),
//!     department: "无线电管理处".into(),
//!     region: "120101".into(),
//!     cert_no: cert.into(),
//!     cert_expires: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
//!     domains: vec!["无线电".into()],
//!     expert: false,
//!     status: OfficerStatus::Active,
//!     conflicts: vec![],
//! };
//! let officers = Officers::from_records(
//!     [officer("A1", "C1"), officer("A2", "C2"), officer("A3", "C3")],
//!     "staff table",
//! )?;
//! let plan = Plan::from_toml(r#"
//!     id = "demo"
//!     title = "无线电台站抽查"
//!     inspection_date = "2020-10-20"
//!     targets = "enterprise table"
//!     officers = "staff table"
//!     [[task]]
//!     id = "radio"
//!     domain = "无线电"
//!     item = { name = "台站检查", basis = "无线电管理条例" }
//!     sample = { count = 1 }
//!     team = { size = 2 }
//! "#, "plan.toml".as_ref())?;
//!
//! let drawn = Draw::new(&plan).seed("rehearsal 1").run(&targets, &officers)?;
//! let team = &drawn.outcome.tasks[0].teams[0];
//! assert_eq!(team.officers.len(), 2); // two distinct certified officers
//! assert_ne!(team.officers[0], team.officers[1]);
//! // The log is the proof to publish; its head is what a notice prints.
//! let log: Vec<u8> = drawn.log.to_bytes();
//! assert!(log.starts_with(br#"{"crate_version":"#));
//! println!("head {}", hex::encode(drawn.head()));
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! A seed typed by an operator is a rehearsal: the log says so, and section 4 shows the
//! unsteerable way.
//!
//! # 2. Streaming a large directory
//!
//! A national directory (10^8 enterprises) does not fit in memory. Sorted by id, it streams
//! through [`Draw::run_stream`](crate::Draw::run_stream) from any [`std::io::Read`] in one
//! pass, keeping only the best tickets of each stratum; the log is byte-identical to the
//! in-memory draw's, and the warnings come back with it.
//!
//! ```
//! # use dualdraw::{Draw, Plan};
//! # let officers = dualdraw::directory::read_officers(
//! #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//! #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//! #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//! #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//! #     "officers.csv".as_ref(),
//! # )?;
//! # let plan = Plan::from_toml(r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#, "plan.toml".as_ref())?;
//! // Any reader: a file, a pipe, a database export. Here, text sorted by id.
//! let csv = "id,name,region,domains,credit_class,status\n\
//!            91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n\
//!            9144030071526726XG,甲公司,440300,无线电,A,active\n";
//! let mut rows = 0;
//! let streamed = Draw::new(&plan).seed("rehearsal 1").run_stream(
//!     csv.as_bytes(),
//!     "targets.csv".as_ref(),
//!     &officers,
//!     &mut |progress| rows = progress.rows,
//! )?;
//! let targets = dualdraw::directory::read_targets(csv.as_bytes(), "targets.csv".as_ref())?;
//! let in_memory = Draw::new(&plan).seed("rehearsal 1").run(&targets, &officers)?;
//! assert_eq!(streamed.log.to_bytes(), in_memory.log.to_bytes());
//! assert_eq!(rows, 2);
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! # 3. Verifying a published log
//!
//! Anyone holding the published log, its head (printed in the bureau's notice), the plan and
//! the directories can re-run the draw. [`Verify`](crate::Verify) checks the hash chain, the
//! head, the digests, and then re-runs everything and compares every line; the
//! [`Report`](crate::Report) says what was established, and any difference is a verification
//! failure naming its line.
//!
//! ```
//! # let targets = dualdraw::directory::read_targets(
//! #     "id,name,region,domains,credit_class,status\n\
//! #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
//! #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
//! #     "targets.csv".as_ref(),
//! # )?;
//! # let officers = dualdraw::directory::read_officers(
//! #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//! #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//! #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//! #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//! #     "officers.csv".as_ref(),
//! # )?;
//! # let plan = dualdraw::Plan::from_toml(r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#, "plan.toml".as_ref())?;
//! use dualdraw::{Draw, Mode, Verify};
//! let drawn = Draw::new(&plan).seed("rehearsal 1").run(&targets, &officers)?;
//! let (published, head) = (drawn.log.to_bytes(), drawn.head());
//!
//! let report = Verify::new(&plan).head(head).run(&published, &targets, &officers)?;
//! assert_eq!(report.mode, Mode::OperatorSeed);
//! assert_eq!((report.targets, report.teams), (1, 1));
//!
//! // Cut the last line: the chain still holds, the published head does not.
//! let cut = &published[..published[..published.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1];
//! let e = Verify::new(&plan).head(head).run(cut, &targets, &officers).unwrap_err();
//! assert!(e.is_verification(), "{e}");
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! The log is also readable event by event ([`log::read`](crate::log::read) checks the chain,
//! [`Event`](crate::Event) is every line's type):
//!
//! ```
//! # let targets = dualdraw::directory::read_targets(
//! #     "id,name,region,domains,credit_class,status\n\
//! #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
//! #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
//! #     "targets.csv".as_ref(),
//! # )?;
//! # let officers = dualdraw::directory::read_officers(
//! #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//! #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//! #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//! #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//! #     "officers.csv".as_ref(),
//! # )?;
//! # let plan = dualdraw::Plan::from_toml(r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#, "plan.toml".as_ref())?;
//! # let drawn = dualdraw::Draw::new(&plan).seed("rehearsal 1").run(&targets, &officers)?;
//! # let published = drawn.log.to_bytes();
//! use dualdraw::Event;
//! for entry in dualdraw::log::read(&published)? {
//!     if let Event::Team(team) = entry.event()? {
//!         println!("{} -> {:?}", team.enterprise, team.officers);
//!     }
//! }
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! # 4. Commit, then reveal
//!
//! A seed an operator types proves nothing: it could have been tried until the result pleased.
//! For a real draw, freeze the inputs first and commit to a secret
//! ([`ceremony::commit`](crate::ceremony::commit)); publish the commitment and the head, name
//! the public entropy in advance (dice thrown in public, a beacon round), and draw only when
//! that value exists ([`Draw::reveal`](crate::Draw::reveal)). The seed then depends on a secret
//! the entropy's producer did not know and on entropy the operator could not foresee.
//!
//! ```
//! # let targets = dualdraw::directory::read_targets(
//! #     "id,name,region,domains,credit_class,status\n\
//! #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
//! #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
//! #     "targets.csv".as_ref(),
//! # )?;
//! # let officers = dualdraw::directory::read_officers(
//! #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//! #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//! #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//! #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//! #     "officers.csv".as_ref(),
//! # )?;
//! # let plan = dualdraw::Plan::from_toml(r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#, "plan.toml".as_ref())?;
//! use dualdraw::commit::EntropySource;
//! use dualdraw::{Draw, Mode, Verify};
//!
//! let source = EntropySource::new("dice", "ten dice thrown at the public ceremony")?;
//! let secret = [9u8; 32]; // `dualdraw::commit::new_secret()` with the `os-rng` feature
//! let committed = dualdraw::ceremony::commit(&plan, &targets, &officers, &source, &secret);
//! let commit_log = committed.log.to_bytes(); // publish its head and the commitment now
//!
//! let drawn = Draw::new(&plan)
//!     .reveal(&commit_log, secret, "3 1 4 1 5 9 2 6 5 3")
//!     .run(&targets, &officers)?;
//! let report = Verify::new(&plan).run(&drawn.log.to_bytes(), &targets, &officers)?;
//! assert_eq!(report.mode, Mode::CommitReveal);
//!
//! // The same commitment is never drawn twice.
//! let again = Draw::new(&plan).reveal(&drawn.log.to_bytes(), secret, "1 1 1").run(&targets, &officers);
//! assert!(again.unwrap_err().to_string().contains("already drawn"));
//!
//! // An officer who cannot attend is replaced by the next lawful one: a new log line.
//! let team = &drawn.outcome.tasks[0].teams[0];
//! let replaced = dualdraw::ceremony::replace(
//!     &drawn.log.to_bytes(), &plan, &targets, &officers,
//!     dualdraw::team::ReplacementRequest {
//!         task: "radio".into(),
//!         enterprise: team.enterprise.clone(),
//!         out: team.officers[0].clone(),
//!         reason: dualdraw::reason::Reason::of(dualdraw::reason::Category::Leave),
//!     },
//! )?;
//! assert_eq!(replaced.log.lines.len(), drawn.log.lines.len() + 1);
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! # 5. Proving one enterprise's fate
//!
//! An enterprise does not need the directories or the whole draw to check its own ticket: a
//! [`Prover`](crate::proof::Prover) built from a verified log makes a small JSON proof, and
//! [`proof::check`](crate::proof::check) checks it against the published checkpoint alone.
//!
//! ```
//! # let targets = dualdraw::directory::read_targets(
//! #     "id,name,region,domains,credit_class,status\n\
//! #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
//! #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
//! #     "targets.csv".as_ref(),
//! # )?;
//! # let officers = dualdraw::directory::read_officers(
//! #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//! #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//! #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//! #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//! #     "officers.csv".as_ref(),
//! # )?;
//! # let plan = dualdraw::Plan::from_toml(r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#, "plan.toml".as_ref())?;
//! # let plan_text = r#"
//! #     id = "demo"
//! #     title = "demo"
//! #     inspection_date = "2020-10-20"
//! #     targets = "targets.csv"
//! #     officers = "officers.csv"
//! #     [[task]]
//! #     id = "radio"
//! #     domain = "无线电"
//! #     item = { name = "台站检查", basis = "无线电管理条例" }
//! #     sample = { count = 1 }
//! #     team = { size = 2 }
//! # "#;
//! # let plan = dualdraw::Plan::parse(plan_text.as_bytes(), "plan.toml".as_ref())?;
//! use dualdraw::proof::{self, Prover};
//! let drawn = dualdraw::Draw::new(&plan).seed("rehearsal 1").run(&targets, &officers)?;
//! let (log, head) = (drawn.log.to_bytes(), drawn.head());
//!
//! let prover = Prover::new(&log, Some(&head), plan_text.as_bytes(), "plan.toml".as_ref(), &targets, &officers)?;
//! let proof = prover.prove("9144030071526726XG")?.to_bytes();
//!
//! // The enterprise's side: the proof bytes and the checkpoint from the notice, nothing else.
//! let checkpoint = drawn.log.checkpoint();
//! let checked = proof::check(&proof, &checkpoint).expect("an honest proof checks");
//! println!("{checked}");
//! let mut forged = proof.clone();
//! let at = forged.len() / 2;
//! forged[at] ^= 1;
//! assert!(proof::check(&forged, &checkpoint).is_err());
//! # Ok::<(), dualdraw::Error>(())
//! ```
