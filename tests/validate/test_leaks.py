"""Secret detection (E314): the formats of issue 11, and the texts that must stay quiet.

Tokens are assembled from pieces so that no scanner mistakes this file for a leak."""

from __future__ import annotations

import pytest

from mlopsgen.spec.leaks import secret_kind

ADO_OLD = "abcdefghijklmnopqrstuvwxyz234567" + "qrstuvwxyz234567mnop"  # 52 base32
ADO_NEW = "A1b2C3d4E5" * 7 + "xYz123" + "AZDO" + "k9L8"  # 84, AZDO at 76-80
ENTRA = "a.B" + "8Q~" + "Zx9_yW8vU7-tS6rQ5pO4nM3lK2jI1hG0fE~"[:34]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("dose" + "0a1b2c3d4e5f6a7b" * 2, "Databricks OAuth secret"),
        (ENTRA, "Azure AD client secret"),
        (ADO_OLD, "Azure DevOps personal access token"),
        (ADO_NEW, "Azure DevOps personal access token"),
        ("postgresql://svc:s3cr3t-Pa55@db.example.com:5432/x", "password in a URL"),
        ("0123456789abcdef0123456789abcdef01234567", "40 hexadecimal digits"),
        # embedded in text, not only whole values
        (f"use token {'dapi' + '0123456789abcdef' * 2} for now", "Databricks personal access"),
        ("key is Xk9PqL2mN8vR4tY7wZ3aB6cD1eF5gH0jK here", "long random string"),
    ],
)
def test_formats_are_found(value: str, kind: str) -> None:
    found = secret_kind(None, value)
    assert found is not None and kind in found


@pytest.mark.parametrize(
    "value",
    [
        "Scores the default risk of a credit application.",
        "Trained at commit 3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49 of the ml repo.",
        "6f1c2b7e-3d4a-4e5f-9a8b-0c1d2e3f4a5b",  # a UUID: an identifier, not a secret
        "https://adb-4444444444444444.14.azuredatabricks.net",
        "abfss://raw@lake.dfs.core.windows.net/churn/2024",
        "jdbc://svc:{{secrets/ml/db}}@db.example.com/x",  # a secret reference is the right way
        "/Workspace/Shared/growth/churn-batch/notebooks/train_model_v2",
        "main.growth.churn_scores_{stage}",
        "The dose of the drug, in milligrams per kilogram of body weight.",
        "sklearn.ensemble.HistGradientBoostingClassifier_with_calibration",
    ],
)
def test_ordinary_text_is_not_a_secret(value: str) -> None:
    assert secret_kind(None, value) is None
