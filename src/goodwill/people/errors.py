from goodwill.errors import Conflict, InvalidInput, NotFound


class PersonNotFound(NotFound):
    code = "people.not_found"


class MergeNotFound(NotFound):
    code = "people.merge_not_found"


class MergeRefused(Conflict):
    code = "people.merge_refused"


class InvalidPersonReference(InvalidInput):
    code = "people.invalid_reference"
