"""Pure logic: the data model, wire schemas, roster and durations. No I/O, no Qt, no sockets."""
