"""Alembic environment: migrations run as the database owner (DATABASE_OWNER_URL), then on
PostgreSQL the app's own role (the user in DATABASE_URL) is granted data access, but not ownership,
so row-level security applies to it."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from data.rls import grant_app_role

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

app_config = current_app.extensions["toolmaint_config"]
target_metadata = current_app.extensions["migrate"].db.metadatas[None]


def run_migrations_offline():
    """Emit SQL for the owner URL without connecting."""
    context.configure(url=app_config.database_owner_url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=app_config.database_owner_url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Connect as the owner, migrate, then grant the app role its rights."""

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    owner_url = app_config.database_owner_url
    engine = create_engine(owner_url)
    try:
        with engine.connect() as connection:
            conf_args["render_as_batch"] = connection.dialect.name == "sqlite"
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
            if connection.dialect.name == "postgresql":
                app_user = make_url(app_config.database_url).username
                owner_user = make_url(owner_url).username
                if app_user and app_user != owner_user:
                    grant_app_role(connection, app_user)
                    connection.commit()
                else:
                    logger.warning("The app connects as the table owner: row-level security does not apply to it. "
                                   "Set DATABASE_OWNER_URL for migrations and a separate role in DATABASE_URL.")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
