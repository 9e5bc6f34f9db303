//! Workspace-level compatibility suites live in `tests/`.
