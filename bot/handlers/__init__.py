"""The Telegram handlers: `ask` (questions and answer buttons), `admin` (documents, stats, access),
`tasks` (task commands and review), over the one copy of their plumbing in `common`."""
