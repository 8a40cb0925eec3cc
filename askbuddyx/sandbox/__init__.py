"""Where model-written code runs: `runner` (one locked-down process per program, a pass proven
by the bootstrap `child`) and `verify` (does a code answer run, and does its own Sanity test
pass). Nothing else in AskBuddyX executes generated code."""
