"""webgrad's server: the Starlette app that serves the pages, Pyodide and the core's wheel, and
the ``webgrad`` command line. User Python never runs here: it runs in the browser's Pyodide.

    $ npm ci --prefix web        # once: Pyodide from npm, served from web/node_modules
    $ webgrad serve              # http://127.0.0.1:8000/console
"""
