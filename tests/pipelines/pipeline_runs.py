"""Reading a finished Dagster run: what it materialised and which checks it evaluated."""

import dagster as dg


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, dg.MetadataValue]]:
    """Metadata of each asset the run materialised, by asset key string."""
    return {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization
    }


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """Every asset check the run evaluated, by `<asset key>:<check name>`."""
    return {
        f"{e.asset_check_key.asset_key.to_user_string()}:{e.asset_check_key.name}": e
        for e in result.get_asset_check_evaluations()
    }
