"""Unbound extension objects; ``create_app`` binds them. Nothing starts at import time."""

from flask_socketio import SocketIO

# async_mode is always passed explicitly in init_app: auto-detection would silently switch to
# eventlet or gevent if one happened to be installed (engineering brief B1).
socketio = SocketIO()
