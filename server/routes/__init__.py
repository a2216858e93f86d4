"""HTTP routers, one module per area; wired together only in server.main."""
