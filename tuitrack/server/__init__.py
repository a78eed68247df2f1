"""`tuitrack server`: MLflow's REST API 2.0 tracking endpoints and tuitrack's own
(`/api/2.0/tuitrack/...`, docs/rest.md) over any tuitrack store, so that MLflow's clients
log into it unchanged and tuitrack's REST client gets the fast paths.

Starlette, not FastAPI: FastAPI's worth is request models and OpenAPI built from pydantic
annotations, but the wire format is fixed by MLflow's protos and already read and written by
tuitrack.core.wire (shared with the REST client), and each handler checks its fields itself
with errors in MLflow's shape. FastAPI would add a dependency, a validation pass per request
on the hot logging path and a second description of the same JSON. Starlette (which ships
with MLflow and FastAPI alike) gives the routing, the threadpool for the store's blocking
calls and the ASGI app; uvicorn serves it.

Importing this package is cheap: Starlette and uvicorn load only when a server starts.
"""
