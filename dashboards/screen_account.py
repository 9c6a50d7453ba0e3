"""The wall screens' account (大屏只读账号), run inside Superset's environment after each import.

A wall screen should not run as an administrator: it needs to view dashboards and nothing else. The role
`大屏 screen` gets Superset 6.1's own minimal viewing permissions (those of its built-in Public role:
dashboards, charts, chart data, filter state, themes) plus access to the snapshot database — and no drill
permissions, so the front end does not fetch every dataset's drill metadata on each load (five extra
requests per load of the leadership screen, competing with the charts' data).

Usage (by `dashboards.server.SupersetHome.ensure_screen_account`):
    <superset venv>/bin/python screen_account.py <database uuid> <username> <password file>
"""

import sys
from pathlib import Path

ROLE = "大屏 screen"


def main(database_uuid: str, username: str, password_file: str) -> None:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db
        from superset import security_manager as sm
        from superset.models.core import Database

        database = db.session.query(Database).filter_by(uuid=database_uuid).one_or_none()
        if database is None:
            raise SystemExit(f"database {database_uuid} not imported yet")
        sm.add_permission_view_menu("database_access", database.perm)
        role = sm.find_role(ROLE) or sm.add_role(ROLE)
        viewing = [pvm for pvm in sm._get_all_pvms() if sm._is_public_pvm(pvm)]
        access = sm.find_permission_view_menu("database_access", database.perm)
        # The Chinese translation and the front end's event beacon: without them each load is redirected
        # to the login page and renders the welcome page (two full page renders per load).
        extras = [sm.find_permission_view_menu(p, "Superset") for p in ("can_language_pack", "can_log")]
        role.permissions = [*viewing, access, *(p for p in extras if p is not None)]
        password = Path(password_file).read_text().strip()
        user = sm.find_user(username=username)
        if user is None:
            if not sm.add_user(username, "大屏", "账号", f"{username}@gjj.invalid", [role], password=password):
                raise SystemExit(f"could not create user {username}")
        else:
            user.roles = [role]
        db.session.commit()


if __name__ == "__main__":
    main(*sys.argv[1:4])
