"""The nightly HTML report: charts of the published marts, a static file beside them."""
