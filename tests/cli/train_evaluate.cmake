# `hybridnet train` then `hybridnet evaluate --json`: the accuracies must be identical.
file(REMOVE_RECURSE ${RUN})
execute_process(COMMAND ${HN} train --model resnet8 --plan xnor --subset 512 --test-subset 256
                        --epochs 1 --batch-size 64 --threads 1 --out ${RUN}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "train failed: ${err}")
endif()
# Not a terminal: per-epoch lines must still be printed.
if(NOT err MATCHES "epoch 1/1: loss [0-9.]+  train acc")
  message(FATAL_ERROR "no epoch line in train's output: ${err}")
endif()
file(READ ${RUN}/metrics.json metrics)
string(JSON stored GET "${metrics}" test_accuracy)
execute_process(COMMAND ${HN} evaluate --checkpoint ${RUN} --json --threads 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "evaluate failed: ${err}")
endif()
string(JSON evaluated GET "${out}" test_accuracy)
if(NOT stored STREQUAL evaluated)
  message(FATAL_ERROR "stored ${stored} != evaluated ${evaluated}")
endif()
message(STATUS "train/evaluate test_accuracy ${stored}")
