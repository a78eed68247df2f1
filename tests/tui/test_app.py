"""Pilot tests: every screen and action, driven by keys against real demo stores."""

from __future__ import annotations

import math

from textual.pilot import Pilot
from textual.widgets import OptionList, SelectionList, Static, TabbedContent

from tests.tui.conftest import make_app
from tests.tui.helpers import column_values, rendered_text, settle, wait_until
from tuitrack.entities import Metric
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.screens.base import ErrorLine, TitleLine
from tuitrack.tui.screens.columns import ColumnsScreen
from tuitrack.tui.screens.experiments import ExperimentsScreen
from tuitrack.tui.screens.help import HelpScreen
from tuitrack.tui.screens.run import RunScreen
from tuitrack.tui.screens.runs import RunsScreen
from tuitrack.tui.screens.sort import SortScreen
from tuitrack.tui.widgets.artifact_browser import ArtifactBrowser
from tuitrack.tui.widgets.filter_bar import FilterBar
from tuitrack.tui.widgets.footer import KeysFooter
from tuitrack.tui.widgets.key_table import KeyTable
from tuitrack.tui.widgets.runs_table import RunsTable


def experiment_id(client: TrackingClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None
    return experiment.experiment_id


async def open_experiment(pilot: Pilot[None], client: TrackingClient, name: str) -> RunsTable:
    await settle(pilot)
    table = pilot.app.screen.query_one(KeyTable)
    table.move_cursor(row=table.get_row_index(experiment_id(client, name)))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunsScreen)
    return pilot.app.screen.query_one(RunsTable)


def run_names(table: RunsTable) -> list[str]:
    return [run.info.run_name or "" for run in table.runs]


async def test_experiments_screen_lists_active_experiments_and_toggles_deleted(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        table = app.screen.query_one(KeyTable)
        names = column_values(table, "name")
        assert sorted(names) == [
            "bert-glue",
            "cifar10-resnet-sweep",
            "gpt-pretrain",
            "mnist-cnn",
            "ppo-cartpole",
        ]
        assert names[0] == "gpt-pretrain"  # most recent activity first
        await pilot.press("d")
        await settle(pilot)
        assert any("scratch" in name for name in column_values(table, "name"))


async def test_experiment_name_filter_narrows_as_you_type(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"cifar")
        table = app.screen.query_one(KeyTable)
        assert column_values(table, "name") == ["cifar10-resnet-sweep"]
        await pilot.press("enter", "escape")
        await pilot.press("escape")  # clears the name filter
        assert len(column_values(table, "name")) == 5


async def test_runs_screen_navigates_with_vim_and_arrow_keys(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        assert len(table.runs) == 8
        assert table.cursor_row == 0
        await pilot.press("j", "j", "down")
        assert table.cursor_row == 3
        await pilot.press("k", "up")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 7
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("q")
        assert isinstance(app.screen, ExperimentsScreen)


async def test_valid_filter_reloads_from_the_store(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        every_run = list(table.runs)
        await pilot.press("slash", *"metrics.`val/loss` < 1.0", "enter")
        await settle(pilot)
        expected = {r.info.run_id for r in every_run if r.data.metrics["val/loss"] < 1.0}
        assert 0 < len(expected) < len(every_run)
        assert {r.info.run_id for r in table.runs} == expected
        assert not app.screen.query_one(FilterBar).has_class("-error")


async def test_invalid_filter_shows_the_parse_error_under_the_bar(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        before = run_names(table)
        await pilot.press("slash", *"metrics.loss >", "enter")
        await settle(pilot)
        bar = app.screen.query_one(FilterBar)
        assert bar.has_class("-error")
        message = str(bar.query_one("#filter-error", Static).content)
        assert "number" in message or "ends here" in message
        assert isinstance(app.screen, RunsScreen)
        assert run_names(table) == before  # the old rows stay
        # Fixing the filter clears the error.
        await pilot.press(*" 0", "enter")
        await settle(pilot)
        assert not bar.has_class("-error")


async def test_sort_picker_orders_runs_in_the_store(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        await pilot.press("s")
        assert isinstance(app.screen, SortScreen)
        options = app.screen.query_one(OptionList)
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == "name"
        )
        await pilot.press("enter")
        await settle(pilot)
        assert run_names(table) == sorted(run_names(table))
        assert table.sort_key == "name"
        await pilot.press("S")
        await settle(pilot)
        assert run_names(table) == sorted(run_names(table), reverse=True)


async def test_sort_by_a_metric_column(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        await pilot.press("s")
        options = app.screen.query_one(OptionList)
        options.highlighted = next(
            i
            for i in range(options.option_count)
            if options.get_option_at_index(i).id == "metric:val/loss"
        )
        await pilot.press("enter")
        await settle(pilot)
        losses = [r.data.metrics["val/loss"] for r in table.runs]
        finite = [v for v in losses if math.isfinite(v)]
        assert finite == sorted(finite, reverse=True)


async def test_space_marks_runs(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        first, second = table.runs[0].info.run_id, table.runs[1].info.run_id
        await pilot.press("space", "space")
        assert table.marked == {first, second}
        assert str(table.get_cell(first, "mark")) == "▌"
        await pilot.press("k", "space")
        assert table.marked == {first}
        await pilot.press("M")
        assert table.marked == set()


async def test_sweeps_are_folded_under_their_parent(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "cifar10-resnet-sweep")
        assert table.row_count == 2  # two sweep parents, children folded
        assert "(4)" in str(table.get_cell_at((0, 2)))
        await pilot.press("z")
        assert table.row_count == 6
        await pilot.press("Z")  # something is open: fold everything
        assert table.row_count == 2
        await pilot.press("Z")  # all folded: open everything
        assert table.row_count == 10


async def test_status_toggle_filters_runs_by_status(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "ppo-cartpole")
        await pilot.press("1")
        await settle(pilot)
        assert {r.info.status.value for r in table.runs} == {"RUNNING"}
        await pilot.press("0")
        await settle(pilot)
        assert len(table.runs) == 4


async def test_column_chooser_adds_and_removes_columns(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        assert "param:optimizer" not in [c.key for c in table.columns_shown]
        await pilot.press("c")
        assert isinstance(app.screen, ColumnsScreen)
        selection = app.screen.query_one(SelectionList)
        selection.select("param:optimizer")
        selection.deselect("metric:train/loss")
        await pilot.press("enter")
        await settle(pilot)
        keys = [c.key for c in table.columns_shown]
        assert "param:optimizer" in keys
        assert "metric:train/loss" not in keys
        assert column_values(table, "param:optimizer") == ["adam"] * 8


async def test_runs_of_several_marked_experiments_show_together(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(KeyTable)
        for name in ("mnist-cnn", "bert-glue"):
            table.move_cursor(row=table.get_row_index(experiment_id(client, name)))
            await pilot.press("space")
        await pilot.press("enter")
        await settle(pilot)
        runs = app.screen.query_one(RunsTable)
        assert len(runs.runs) == 8 + 5
        assert set(column_values(runs, "experiment")) == {"mnist-cnn", "bert-glue"}


async def test_open_run_shows_overview_params_metrics_tags(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "gpt-pretrain")
        run = table.runs[0]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        overview = rendered_text(screen.query_one("#overview-body", Static))
        assert run.info.run_id in overview
        assert "pretrain-350m" in overview
        assert "git.commit" not in overview  # shown under its own label
        assert run.data.tags["git.commit"] in overview
        params = screen.query_one("#params-table", KeyTable)
        assert params.row_count == len(run.data.params)
        await pilot.press("m")
        assert screen.query_one(TabbedContent).active == "metrics"
        metrics = screen.query_one("#metrics-table", KeyTable)
        assert column_values(metrics, "key") == sorted(run.data.metrics)
        await pilot.press("t")
        tags = screen.query_one("#tags-table", KeyTable)
        assert "git.commit" in column_values(tags, "key")
        await pilot.press("y")
        assert app.clipboard == run.info.run_id
        await pilot.press("q")
        assert isinstance(app.screen, RunsScreen)


async def test_artifact_browser_lists_and_previews_files(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, client, "mnist-cnn")
        finished = next(r for r in table.runs if r.info.status.value == "FINISHED")
        table.move_to_run(finished.info.run_id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        browser = app.screen.query_one(ArtifactBrowser)
        tree = browser.file_tree
        labels = [str(node.label) for node in tree.root.children]
        assert [label.split()[0] for label in labels] == [
            "config.yaml",
            "metrics.csv",
            "model/",
            "notes.txt",
        ]
        await pilot.press("j")  # config.yaml is previewed as YAML
        await settle(pilot)
        preview = rendered_text(browser.query_one("#artifact-preview", Static))
        assert "params:" in preview
        assert "dropout:" in preview
        await pilot.press("j", "j", "l")  # expand model/
        await settle(pilot)
        model = tree.root.children[2]
        assert [str(n.label).split()[0] for n in model.children] == ["summary.json", "weights.bin"]


async def test_help_lists_every_binding_of_the_screen_with_its_id(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = [ident for _keys, _does, ident in app.screen.rows]
        assert {"runs.filter", "runs.sort", "runs.mark", "table.down"} <= set(ids)
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_command_palette_offers_the_screen_actions(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "runs: Filter" in titles
        assert "runs: Sort" in titles


async def test_a_missing_run_shows_a_store_error_not_a_crash(client: TrackingClient) -> None:
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(RunScreen(app.session, "0" * 32))
        await settle(pilot)
        line = app.screen.query_one(ErrorLine)
        assert line.display
        assert "0" * 32 in str(line.content)


async def test_live_refresh_picks_up_a_new_run_and_new_metric_points(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("live")
    first = empty_client.create_run(experiment, run_name="first")
    empty_client.log_metric(first.info.run_id, "loss", 1.0, step=0)
    app = TuitrackApp(empty_client, refresh_seconds=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "live")
        assert run_names(table) == ["first"]
        empty_client.create_run(experiment, run_name="second")
        await wait_until(pilot, lambda: "second" in run_names(table))
        empty_client.log_metric(first.info.run_id, "loss", 0.25, step=1)
        await wait_until(
            pilot, lambda: str(table.get_cell(first.info.run_id, "metric:loss")) == "0.25"
        )
        # The run screen extends the metric history incrementally.
        table.move_to_run(first.info.run_id)
        await pilot.press("enter")
        await settle(pilot)
        metrics = app.screen.query_one("#metrics-table", KeyTable)
        assert str(metrics.get_cell("loss", "step")) == "1"
        empty_client.log_batch(
            first.info.run_id, metrics=[Metric(key="loss", value=0.1, timestamp=1, step=2)]
        )
        await wait_until(pilot, lambda: str(metrics.get_cell("loss", "step")) == "2")
        assert str(metrics.get_cell("loss", "min")) == "0.1"


async def test_pause_stops_live_refresh(empty_client: TrackingClient) -> None:
    experiment = empty_client.create_experiment("paused")
    empty_client.create_run(experiment, run_name="first")
    app = TuitrackApp(empty_client, refresh_seconds=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_experiment(pilot, empty_client, "paused")
        await pilot.press("p")
        empty_client.create_run(experiment, run_name="second")
        await pilot.pause(0.4)
        await settle(pilot)
        assert run_names(table) == ["first"]
        await pilot.press("p")
        await wait_until(pilot, lambda: "second" in run_names(table))


async def test_the_runs_title_shows_a_pause_pressed_on_another_screen(
    empty_client: TrackingClient,
) -> None:
    experiment = empty_client.create_experiment("paused")
    empty_client.create_run(experiment, run_name="first")
    app = TuitrackApp(empty_client, refresh_seconds=30)
    async with app.run_test(size=(100, 24)) as pilot:
        await open_experiment(pilot, empty_client, "paused")
        runs = app.screen
        assert isinstance(runs, RunsScreen)

        def title() -> str:
            return str(runs.query_one(TitleLine).content)

        assert title().endswith("live 30s")
        await pilot.press("enter", "p")  # paused on the run screen
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is runs
        assert title().endswith("[reverse] paused [/reverse]")
        await pilot.press("p")
        assert title().endswith("live 30s")


def footer_text(app: TuitrackApp) -> str:
    return app.screen.query_one(KeysFooter).render().plain


async def test_footer_follows_the_focus_and_a_click_presses_its_key(
    client: TrackingClient,
) -> None:
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        shown = footer_text(app)
        assert " / Filter " in shown
        assert " s Sort " in shown
        assert shown.rstrip().endswith("palette")
        assert "Close filter" not in shown
        await pilot.press("slash")  # the filter input takes the focus, with its own keys
        await settle(pilot)
        assert " esc Close filter " in footer_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Close filter" not in footer_text(app)
        x = footer_text(app).index(" s Sort ") + 1
        await pilot.click(KeysFooter, offset=(x, 0))
        await settle(pilot)
        assert isinstance(app.screen, SortScreen)


async def test_runs_opened_at_once_show_the_page_being_read_ahead(client: TrackingClient) -> None:
    # Enter as soon as the experiments show: the runs screen takes the first page the
    # experiments screen is reading ahead (or reads it itself), and shows the same runs.
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:

        def experiments_shown() -> bool:
            tables = app.screen.query(KeyTable)
            return bool(tables) and tables.first().row_count > 0

        await wait_until(pilot, experiments_shown)
        highlighted = app.screen.query_one(KeyTable).current_row_key()
        assert highlighted is not None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        expected = client.search_runs([highlighted], max_results=100)
        assert app.screen.query_one(RunsTable).row_keys() == [r.info.run_id for r in expected]
