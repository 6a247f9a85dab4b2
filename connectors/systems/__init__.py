"""One module per vendor system; each exports its StreamSpecs in a tuple named `STREAMS`."""
