"""The life of a session on a worker, the same for restores and backups: claim it,
beat and watch for cancel and shutdown while it runs, close the pool threads'
connections, hand it back on shutdown, reap it when its worker dies, and tell whether
a task cluster is alive at all.

`lifecycle` is what a runner uses while it runs a session, `shutdown` the SIGTERM
handling in django-q2 worker processes, `reaper` the periodic search for sessions
nobody runs, `clusters` the one answer to "is a cluster alive?".
"""
