"""HTML edges of the clients app: ``portal`` (client users and advisors, /clients/) and
``console`` (the account team's section of the staff console, /staff/clients/)."""
