"""Flask-JWT-Extended with the database blocklist of its docs ("Blocklist and Token Revoking",
Flask-SQLAlchemy), users in the database, passwords by werkzeug (the Flask docs' hasher) or
argon2id, and refresh with rotation: the presented refresh token's jti goes to the blocklist
and a new pair is issued (so a reused refresh token is refused).

    gunicorn -w 1 flask_jwt_app:app          (BENCH_DB, BENCH_HASHER)
    python flask_jwt_app.py setup N FILE
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from _common import ACCESS_TTL, ARGON2, PASSWORD, REFRESH_TTL, SECRET, USER, database, hasher
from argon2 import PasswordHasher
from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database()}"
app.config["JWT_SECRET_KEY"] = SECRET
app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=ACCESS_TTL)
app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(seconds=REFRESH_TTL)
db = SQLAlchemy(app)
jwt = JWTManager(app)
argon2 = PasswordHasher(**ARGON2)
USE_ARGON2 = hasher() == "argon2"


with app.app_context():

    @event.listens_for(db.engine, "connect")
    def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")


class User(db.Model):  # type: ignore[name-defined]
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(150), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


class TokenBlocklist(db.Model):  # type: ignore[name-defined]
    id = db.Column(db.Integer, primary_key=True)
    jti = db.Column(db.String(36), nullable=False, index=True)
    type = db.Column(db.String(16), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False)


@jwt.token_in_blocklist_loader
def check_if_token_revoked(jwt_header, jwt_payload):  # type: ignore[no-untyped-def]
    jti = jwt_payload["jti"]
    token = db.session.query(TokenBlocklist.id).filter_by(jti=jti).scalar()
    return token is not None


def hash_password(password: str) -> str:
    return argon2.hash(password) if USE_ARGON2 else generate_password_hash(password)


def verify_password(stored: str, password: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return argon2.verify(stored, password)
        except Exception:
            return False
    return check_password_hash(stored, password)


@app.post("/login")
def login():  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    user = User.query.filter_by(username=body.get("username")).one_or_none()
    if user is None or not verify_password(user.password_hash, str(body.get("password"))):
        return jsonify(msg="Wrong username or password"), 401
    identity = str(user.id)
    return jsonify(
        access_token=create_access_token(identity=identity),
        refresh_token=create_refresh_token(identity=identity),
    )


@app.post("/refresh")
@jwt_required(refresh=True)
def refresh():  # type: ignore[no-untyped-def]
    token = get_jwt()
    db.session.add(TokenBlocklist(jti=token["jti"], type="refresh", created_at=datetime.now(UTC)))
    db.session.commit()
    identity = get_jwt_identity()
    return jsonify(
        access_token=create_access_token(identity=identity),
        refresh_token=create_refresh_token(identity=identity),
    )


@app.get("/me")
@jwt_required()
def me():  # type: ignore[no-untyped-def]
    return jsonify(user=get_jwt_identity())


def setup(count: int, out: str) -> None:
    with app.app_context():
        db.create_all()
        user = User(username=USER, password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.commit()
        with open(out, "w") as f:
            for _ in range(count):
                f.write(f"{create_refresh_token(identity=str(user.id))}\n")


if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    setup(int(sys.argv[2]), sys.argv[3])
