# Databricks notebook source
print("train")
