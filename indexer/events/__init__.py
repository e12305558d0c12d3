"""Events: the encounters communiqués report (who met, received, held talks or a call
with whom, when, where), grouped into events across ministries, and the language versions
and site generations of one text linked as versions of it.

Derived data, like the entities: computed at indexing time (`indexer.build`), stored in
the archive, read by the search service and the web app.
"""
