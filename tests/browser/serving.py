"""The app served for the browser tests: werkzeug's threaded server on a free port, in a thread of its own."""
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


def _closing(app):
    """Closes a response's body when the browser drops the connection part-way (the page moved on, or the test
    ended, while a large static file was still downloading): werkzeug's development server leaves the open file
    to the garbage collector, whose ResourceWarning then fails whichever test is running."""

    def wrapped(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return chunks()

    return wrapped


@contextmanager
def serving(app, name: str = "live-server"):
    """Serves ``app`` until the block ends; gives the port."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
