"""Graph mode: trace -> passes -> lower -> replay (see function.py)."""
from .function import Function, function
from .ir import Graph, Node
from .trace import TraceError
from .view import graph_view

__all__ = ["Function", "function", "Graph", "Node", "TraceError", "graph_view"]
