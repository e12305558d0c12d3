"""Officials and countries as entities: a registry of people, a gazetteer of countries,
and the extraction that finds them in communiqués at indexing time."""

from indexer.entities.extract import Entities, EntityExtractor, extractor_for
from indexer.entities.registry import Official, OfficialsRegistry

__all__ = ["Entities", "EntityExtractor", "Official", "OfficialsRegistry", "extractor_for"]
