"""A run's artifacts: a lazily loaded tree beside a preview of the highlighted file."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerState, get_current_worker

from tuitrack.entities import FileInfo
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.messages import StoreFailed
from tuitrack.tui.preview import human_size, list_artifacts, load_artifact_preview

NodeData = FileInfo | None


class ArtifactTree(Tree[NodeData]):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="artifacts.down"),
        Binding("k", "cursor_up", "Up", show=False, id="artifacts.up"),
        Binding("l", "expand", "Expand", show=False, id="artifacts.expand"),
        Binding("h", "collapse", "Collapse", show=False, id="artifacts.collapse"),
    ]

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.allow_expand:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)


class ArtifactBrowser(Horizontal):
    class Listed(Message):
        def __init__(self, node: TreeNode[NodeData], files: list[FileInfo]) -> None:
            super().__init__()
            self.node = node
            self.files = files

    class Previewed(Message):
        def __init__(self, info: FileInfo, renderable: RenderableType) -> None:
            super().__init__()
            self.info = info
            self.renderable = renderable

    def __init__(self, client: TrackingClient, run_id: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.client = client
        self.run_id = run_id
        self._listed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield ArtifactTree("artifacts", data=None, id="artifact-tree")
        with VerticalScroll(id="artifact-preview-scroll"):
            yield Static(Text("Select a file to preview it.", style="dim"), id="artifact-preview")

    @property
    def file_tree(self) -> ArtifactTree:
        return self.query_one(ArtifactTree)

    def on_mount(self) -> None:
        self.file_tree.root.expand()
        self.list_directory(self.file_tree.root, None)

    @work(thread=True, exit_on_error=False, group="artifact-list")
    def list_directory(self, node: TreeNode[NodeData], path: str | None) -> None:
        files = list_artifacts(self.client, self.run_id, path)
        self.post_message(self.Listed(node, files))

    def on_artifact_browser_listed(self, message: ArtifactBrowser.Listed) -> None:
        node = message.node
        node.remove_children()
        if not message.files and node is self.file_tree.root:
            node.add_leaf(Text("(no artifacts)", style="dim"), data=None)
        for info in message.files:
            name = info.path.rsplit("/", 1)[-1]
            if info.is_dir:
                node.add(Text(f"{name}/", style="bold"), data=info)
            else:
                label = Text(name)
                label.append(f"  {human_size(info.file_size)}", style="dim")
                node.add_leaf(label, data=info)
        if node is self.file_tree.root and self.file_tree.cursor_line < 0:
            self.file_tree.cursor_line = 0

    @on(Tree.NodeExpanded, "#artifact-tree")
    def _expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        info = event.node.data
        if info is not None and info.is_dir and info.path not in self._listed:
            self._listed.add(info.path)
            event.node.add_leaf(Text("loading…", style="dim"), data=None)
            self.list_directory(event.node, info.path)

    @on(Tree.NodeHighlighted, "#artifact-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        info = event.node.data
        if info is not None and not info.is_dir:
            self.preview(info)

    @work(thread=True, exclusive=True, exit_on_error=False, group="artifact-preview")
    def preview(self, info: FileInfo) -> None:
        renderable = load_artifact_preview(self.client, self.run_id, info)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Previewed(info, renderable))

    def on_artifact_browser_previewed(self, message: ArtifactBrowser.Previewed) -> None:
        self.query_one("#artifact-preview", Static).update(message.renderable)
        self.query_one("#artifact-preview-scroll", VerticalScroll).scroll_home(animate=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.post_message(StoreFailed(event.worker.error))
