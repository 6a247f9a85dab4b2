"""Personal data: where it sits (markings in the dbt ymls), pseudonyms for what is published, forgetting a person."""
