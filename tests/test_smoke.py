# Test that real Mailman comes up with both plugins enabled from the suite's config.


def test_plugins_are_loaded(mailman):
    from mailman.config import config

    assert type(config.plugins["pgp"]).__name__ == "PGPPlugin"
    assert type(config.plugins["webhooks"]).__name__ == "WebhooksPlugin"


def test_database_is_the_one_asked_for(mailman):
    import os

    from mailman.config import config

    wanted = "postgresql" if os.environ.get("MAILMAN_TEST_DATABASE_URL") else "sqlite"
    assert config.db.engine.dialect.name == wanted


def test_rest_answers_lists(rest_url):
    from mailman.app.lifecycle import create_list
    from mailman.testing.helpers import call_api

    with _tx():
        create_list("ant@example.com")
    content, response = call_api(rest_url("3.1/lists"))
    assert response.status_code == 200
    assert [entry["list_id"] for entry in content["entries"]] == ["ant.example.com"]


def _tx():
    from mailman.database.transaction import transaction

    return transaction()
