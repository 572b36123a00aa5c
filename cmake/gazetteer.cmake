# Placeholder until the gazetteer generator is in place.
set(SENTINEL_GAZETTEER_SOURCES "")
