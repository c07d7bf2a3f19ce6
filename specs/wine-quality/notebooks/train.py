# Databricks notebook source
# Placeholder: replaced by the real example training notebook (issue 4).
print("train")
