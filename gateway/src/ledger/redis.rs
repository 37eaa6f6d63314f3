//! Redis ledger (Lua scripts).
