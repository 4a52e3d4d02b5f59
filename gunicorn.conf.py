"""gunicorn's settings, read from the working directory by ``make run`` and by production servers
started from the project folder (``gunicorn config.wsgi:application``).

The access log names the path but never the query string or the referring address: the child
list and the ledger are searched by name and by full ID number (``?q=350303…``), and the log is
read by people who may not see that child's file.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
